//! Every unknown address: a friendly 404.

use crate::error::WebError;

pub async fn show() -> WebError {
    WebError::NotFound
}
