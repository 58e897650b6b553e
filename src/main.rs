fn main() -> anyhow::Result<()> {
    switchboard::cli::main()
}
