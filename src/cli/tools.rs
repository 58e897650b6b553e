//! `switchboard tools …`: what to paste into ElevenLabs to give an agent the booking tools.

use clap::{Subcommand, ValueEnum};

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
        /// Which definitions to print.
        #[arg(long, value_enum, default_value_t = Variant::Both)]
        variant: Variant,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Variant {
    /// Client tools: ElevenLabs sends the call over the conversation's socket.
    Client,
    /// Webhook (server) tools: ElevenLabs posts to `/tools/<name>`.
    Webhook,
    Both,
}

pub fn run(command: ToolsCommand) -> anyhow::Result<()> {
    match command {
        ToolsCommand::Schema { public_url, variant } => {
            let all = schema::elevenlabs_tools(&public_url);
            let shown = match variant {
                Variant::Both => all,
                Variant::Client => all["client_tools"].clone(),
                Variant::Webhook => all["webhook_tools"].clone(),
            };
            println!("{}", serde_json::to_string_pretty(&shown)?);
            Ok(())
        }
    }
}
