//! TLS set-up shared by every client: one process-wide rustls crypto provider.
//!
//! reqwest (`rustls-no-provider`) and tokio-tungstenite both use rustls without choosing a
//! crypto provider, so one must be installed before the first TLS connection.

/// Installs the `ring` provider as the process default. Safe to call any number of times.
pub fn install_crypto_provider() {
    // Fails only if a provider is already installed, which is what we want anyway.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
