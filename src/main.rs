use clap::Parser;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    cleanmatch::cli::run(cleanmatch::cli::Cli::parse()).await
}
