//! `switchboard tools …`: what to paste into ElevenLabs to give an agent the booking tools.

use clap::Subcommand;

use crate::tools::schema;

#[derive(Debug, Subcommand)]
pub enum ToolsCommand {
    /// Print the ElevenLabs tool definitions (client tools, answered over the call's
    /// WebSocket, and webhook tools, answered at POST {public_url}/tools/<name>).
    Schema {
        /// Where ElevenLabs reaches this server (for the webhook variant).
        #[arg(
            long,
            env = "SWITCHBOARD_PUBLIC_URL",
            default_value = "https://bridge.example.com"
        )]
        public_url: String,
        /// `client`, `webhook` or `both`.
        #[arg(long, default_value = "both")]
        variant: String,
    },
}

pub fn run(command: ToolsCommand) -> anyhow::Result<()> {
    match command {
        ToolsCommand::Schema { public_url, variant } => {
            let all = schema::elevenlabs_tools(&public_url);
            let shown = match variant.as_str() {
                "both" => all,
                "client" => all["client_tools"].clone(),
                "webhook" => all["webhook_tools"].clone(),
                other => anyhow::bail!("--variant must be client, webhook or both, not {other:?}"),
            };
            println!("{}", serde_json::to_string_pretty(&shown)?);
            Ok(())
        }
    }
}
