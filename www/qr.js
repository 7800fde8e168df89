// QR codes as SVG data URLs, which the page's Content-Security-Policy allows
// in `<img>` (img-src data:) where an inline `<svg>` with styles would not be.

import qrcode from "./vendor/qrcode-generator.mjs";

/** Width of the blank border in modules: the quiet zone that QR readers expect is 4. */
const QUIET_ZONE_MODULES = 4;

/**
 * Encodes `text` as a QR code and returns it as a `data:image/svg+xml` URL.
 *
 * Error correction level M survives about 15 % damage, enough for a phone
 * camera reading a screen, and keeps a link of 100 characters at version 6
 * (41 × 41 modules).
 */
export function qrCodeDataUrl(text) {
  const code = qrcode(0, "M");
  code.addData(text, "Byte");
  code.make();
  const svg = code.createSvgTag({ cellSize: 1, margin: QUIET_ZONE_MODULES, scalable: true });
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}
