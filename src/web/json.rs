//! JSON request bodies. Every way a body can be wrong gets the error shape and a status
//! that says which: 413 too large, 415 not JSON, 400 not well-formed, 422 wrong shape
//! (with the path of the offending field).

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{ApiError, FieldErrors};
use crate::state::AppState;

pub struct JsonBody<T>(pub T);

/// Deserialises `bytes`, naming the field that does not fit.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(shape_error)?;
    de.end().map_err(|e| ApiError::BadRequest {
        code: "malformed_json",
        message: format!("the body is not well-formed JSON: {e}"),
    })?;
    Ok(value)
}

/// Turns a JSON value into `T`, naming the field that does not fit.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(shape_error)
}

fn shape_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    use serde_json::error::Category;
    match inner.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::BadRequest {
            code: "malformed_json",
            message: format!("the body is not well-formed JSON: {inner}"),
        },
        Category::Data => {
            let message = inner.to_string();
            // "unknown field `x`" and "missing field `x`" name the field themselves.
            let field = match (message.find('`'), path.as_str()) {
                (Some(start), "." | "")
                    if message.starts_with("unknown field")
                        || message.starts_with("missing field") =>
                {
                    message[start + 1..]
                        .split('`')
                        .next()
                        .unwrap_or("body")
                        .to_owned()
                }
                (_, "." | "") => "body".to_owned(),
                (_, p) => p.to_owned(),
            };
            let message = match message.find(" at line ") {
                Some(i) => message[..i].to_owned(),
                None => message,
            };
            ApiError::Validation(FieldErrors::single(&field, &message))
        }
    }
}

/// Applies a JSON merge patch (RFC 7396, one level deep) to the input form of a stored
/// record, so that a patched record is checked by the same parser as a new one.
/// Keys in `required` may be changed but not removed (`null`).
pub fn merge_patch<T: Serialize + DeserializeOwned>(
    stored: &T,
    patch: serde_json::Map<String, serde_json::Value>,
    required: &[&str],
) -> Result<T, ApiError> {
    let mut removed = FieldErrors::new();
    for key in required {
        if patch.get(*key).is_some_and(serde_json::Value::is_null) {
            removed.add(*key, "cannot be removed; give a value");
        }
    }
    if !removed.is_empty() {
        return Err(ApiError::Validation(removed));
    }
    let mut merged = match serde_json::to_value(stored) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => {
            return Err(ApiError::Internal(anyhow::anyhow!(
                "stored record is not an object"
            )))
        }
    };
    for (key, value) in patch {
        merged.insert(key, value);
    }
    from_value(serde_json::Value::Object(merged))
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.config.max_body_bytes)
            .unwrap_or(256 * 1024);
        let content_type_ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case("application/json")
            })
            .unwrap_or(false);
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared_length.is_some_and(|n| n > limit) {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            if !content_type_ok {
                return Err(ApiError::UnsupportedMediaType(
                    "send the body as JSON with Content-Type: application/json".into(),
                ));
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| ApiError::BadRequest {
                    code: "bad_body",
                    message: format!("the body could not be read: {e}"),
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge { limit });
                }
                body.extend_from_slice(&chunk);
            }
            from_slice(&body).map(JsonBody)
        })
    }
}
