//! The classes exported to JavaScript: `AuthClient` and the `oneTimeToken`,
//! `signUp` and `signIn` groups it hands out.
//!
//! Every method returns a promise that resolves to `{ data, error }` and
//! never rejects.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Promise;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::decode::from_js;
use crate::error::{ClientError, INVALID_INPUT};
use crate::options::ClientConfig;
use crate::transport::{Convert, Method, call, convert_response, outcome_to_js};
use crate::types::{
    GeneratedToken, RevokeSessionResponse, Session, SessionWithUser, SignInEmailInput, SignInResponse, SignOutResponse,
    SignUpEmailInput, SignUpResponse, TokenInput, VerifiedToken,
};

/// State shared by a client and the groups it hands out.
struct ClientCore {
    config: ClientConfig,
    /// Verify requests still in flight, by one-time token. A second `verify`
    /// of the same token gets the same promise, because a token works once
    /// and a second request could only fail.
    pending_verifications: RefCell<Vec<(String, Promise)>>,
}

/// Decodes a method argument, or describes why it does not fit.
fn decode_input<T: DeserializeOwned>(method: &str, input: JsValue) -> Result<T, ClientError> {
    from_js(input).map_err(|err| {
        ClientError::local(
            INVALID_INPUT,
            format!("Invalid argument to {method}: {}", err.into_message()),
        )
    })
}

/// Encodes a request body as JSON text. Optional fields that are absent are
/// left out.
fn json_body<T: Serialize>(value: &T) -> JsValue {
    serde_wasm_bindgen::to_value(value)
        .ok()
        .and_then(|object| js_sys::JSON::stringify(&object).ok())
        .map_or(JsValue::UNDEFINED, JsValue::from)
}

fn resolved_error(error: ClientError) -> Promise {
    Promise::resolve(&outcome_to_js(Err(error)))
}

impl ClientCore {
    /// Runs one request in the background and returns the promise of its outcome.
    fn start(self: &Rc<Self>, method: Method, path: &'static str, body: Option<JsValue>, convert: Convert) -> Promise {
        let core = Rc::clone(self);
        future_to_promise(async move { Ok(call(&core.config, method, path, body, convert).await) })
    }

    /// Like [`Self::start`] with a JSON body built from the caller's argument.
    fn start_with_input<I: Serialize + DeserializeOwned>(
        self: &Rc<Self>,
        method_name: &str,
        path: &'static str,
        input: JsValue,
        convert: Convert,
    ) -> Promise {
        match decode_input::<I>(method_name, input) {
            Ok(input) => self.start(Method::Post, path, Some(json_body(&input)), convert),
            Err(error) => resolved_error(error),
        }
    }
}

/// A client for one auth server. Made by `createAuthClient`.
#[wasm_bindgen]
pub struct AuthClient {
    core: Rc<ClientCore>,
}

impl AuthClient {
    pub(crate) fn new(config: ClientConfig) -> Self {
        let core = ClientCore {
            config,
            pending_verifications: RefCell::new(Vec::new()),
        };
        Self { core: Rc::new(core) }
    }
}

#[wasm_bindgen]
impl AuthClient {
    /// One-time tokens: `generate()` and `verify({ token })`.
    #[wasm_bindgen(getter, js_name = oneTimeToken)]
    pub fn one_time_token(&self) -> OneTimeTokenApi {
        OneTimeTokenApi {
            core: Rc::clone(&self.core),
        }
    }

    /// Sign-up: `email({ name, email, password })`.
    #[wasm_bindgen(getter, js_name = signUp)]
    pub fn sign_up(&self) -> SignUpApi {
        SignUpApi {
            core: Rc::clone(&self.core),
        }
    }

    /// Sign-in: `email({ email, password, rememberMe? })`.
    #[wasm_bindgen(getter, js_name = signIn)]
    pub fn sign_in(&self) -> SignInApi {
        SignInApi {
            core: Rc::clone(&self.core),
        }
    }

    /// Reads the current session. `data` is null when there is none.
    #[wasm_bindgen(js_name = getSession, unchecked_return_type = "Promise<AuthResult<SessionWithUser | null>>")]
    pub fn get_session(&self) -> Promise {
        self.core.start(
            Method::Get,
            "/get-session",
            None,
            convert_response::<Option<SessionWithUser>>,
        )
    }

    /// Ends the current session and clears its cookie.
    #[wasm_bindgen(js_name = signOut, unchecked_return_type = "Promise<AuthResult<SignOutResult>>")]
    pub fn sign_out(&self) -> Promise {
        let empty_object = JsValue::from_str("{}");
        self.core.start(
            Method::Post,
            "/sign-out",
            Some(empty_object),
            convert_response::<SignOutResponse>,
        )
    }

    /// Lists the live sessions of the current user.
    #[wasm_bindgen(js_name = listSessions, unchecked_return_type = "Promise<AuthResult<Session[]>>")]
    pub fn list_sessions(&self) -> Promise {
        self.core
            .start(Method::Get, "/list-sessions", None, convert_response::<Vec<Session>>)
    }

    /// Deletes one of the current user's sessions, named by its session token.
    #[wasm_bindgen(js_name = revokeSession, unchecked_return_type = "Promise<AuthResult<RevokeSessionResult>>")]
    pub fn revoke_session(&self, #[wasm_bindgen(unchecked_param_type = "TokenInput")] input: JsValue) -> Promise {
        self.core.start_with_input::<TokenInput>(
            "revokeSession",
            "/revoke-session",
            input,
            convert_response::<RevokeSessionResponse>,
        )
    }
}

/// The `client.oneTimeToken` group.
#[wasm_bindgen]
pub struct OneTimeTokenApi {
    core: Rc<ClientCore>,
}

#[wasm_bindgen]
impl OneTimeTokenApi {
    /// Asks for a one-time token for the current session.
    #[wasm_bindgen(unchecked_return_type = "Promise<AuthResult<GeneratedToken>>")]
    pub fn generate(&self) -> Promise {
        self.core.start(
            Method::Get,
            "/one-time-token/generate",
            None,
            convert_response::<GeneratedToken>,
        )
    }

    /// Redeems a one-time token. Calls for a token whose redemption is still
    /// in flight share that request and its result.
    #[wasm_bindgen(unchecked_return_type = "Promise<AuthResult<VerifiedToken>>")]
    pub fn verify(&self, #[wasm_bindgen(unchecked_param_type = "TokenInput")] input: JsValue) -> Promise {
        let input: TokenInput = match decode_input("oneTimeToken.verify", input) {
            Ok(input) => input,
            Err(error) => return resolved_error(error),
        };
        let in_flight = self
            .core
            .pending_verifications
            .borrow()
            .iter()
            .find(|(token, _)| *token == input.token)
            .map(|(_, promise)| promise.clone());
        if let Some(promise) = in_flight {
            return promise;
        }

        let core = Rc::clone(&self.core);
        let token = input.token.clone();
        let body = json_body(&input);
        // The future runs only after this function returns, so the entry is
        // always pushed before the future can remove it.
        let promise = future_to_promise(async move {
            let outcome = call(
                &core.config,
                Method::Post,
                "/one-time-token/verify",
                Some(body),
                convert_response::<VerifiedToken>,
            )
            .await;
            core.pending_verifications
                .borrow_mut()
                .retain(|(pending, _)| *pending != input.token);
            Ok(outcome)
        });
        self.core
            .pending_verifications
            .borrow_mut()
            .push((token, promise.clone()));
        promise
    }
}

/// The `client.signUp` group.
#[wasm_bindgen]
pub struct SignUpApi {
    core: Rc<ClientCore>,
}

#[wasm_bindgen]
impl SignUpApi {
    /// Creates a user with an email and password, and signs it in.
    #[wasm_bindgen(unchecked_return_type = "Promise<AuthResult<SignUpResult>>")]
    pub fn email(&self, #[wasm_bindgen(unchecked_param_type = "SignUpEmailInput")] input: JsValue) -> Promise {
        self.core.start_with_input::<SignUpEmailInput>(
            "signUp.email",
            "/sign-up/email",
            input,
            convert_response::<SignUpResponse>,
        )
    }
}

/// The `client.signIn` group.
#[wasm_bindgen]
pub struct SignInApi {
    core: Rc<ClientCore>,
}

#[wasm_bindgen]
impl SignInApi {
    /// Signs in with an email and password.
    #[wasm_bindgen(unchecked_return_type = "Promise<AuthResult<SignInResult>>")]
    pub fn email(&self, #[wasm_bindgen(unchecked_param_type = "SignInEmailInput")] input: JsValue) -> Promise {
        self.core.start_with_input::<SignInEmailInput>(
            "signIn.email",
            "/sign-in/email",
            input,
            convert_response::<SignInResponse>,
        )
    }
}
