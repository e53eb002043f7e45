//! Instance settings: a small key–value table; core gives the keys meaning.

use crate::error::Result;
use crate::{Db, Tx};

pub async fn all(db: &Db) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as("SELECT key, value FROM instance_settings ORDER BY key").fetch_all(&db.pool).await?)
}

pub async fn get(db: &Db, key: &str) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT value FROM instance_settings WHERE key = $1")
        .bind(key)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|(v,)| v))
}

pub async fn put(tx: &mut Tx, key: &str, value: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO instance_settings (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
