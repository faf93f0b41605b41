//! The PostgreSQL backend's database: whether one answers, and dropping the run's schema after it.

use std::time::Duration;

const DEFAULT_POSTGRES: &str = "host=127.0.0.1 port=5432 user=postgres dbname=test";

/// The PostgreSQL the benchmark uses, if one answers within 5 s.
pub fn postgres_config() -> Result<String, String> {
    let config = std::env::var("MAMORI_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned());
    let reached =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime").block_on(async {
            match tokio::time::timeout(Duration::from_secs(5), tokio_postgres::connect(&config, tokio_postgres::NoTls))
                .await
            {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(std::error::Error::source(&e).map_or_else(|| e.to_string(), ToString::to_string)),
                Err(_) => Err("no answer within 5 s".to_owned()),
            }
        });
    let shown: Vec<&str> = config.split_whitespace().filter(|w| !w.starts_with("password=")).collect();
    reached.map(|()| config.clone()).map_err(|why| format!("no PostgreSQL at {} ({why})", shown.join(" ")))
}

pub struct DropSchema {
    pub config: String,
    pub schema: String,
}

impl Drop for DropSchema {
    fn drop(&mut self) {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        let dropped: Result<(), tokio_postgres::Error> = runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&self.config, tokio_postgres::NoTls).await?;
            tokio::spawn(connection);
            client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema)).await
        });
        if let Err(e) = dropped {
            eprintln!("could not drop the benchmark schema {}: {e}", self.schema);
        }
    }
}
