fn main() -> std::process::ExitCode {
    sessfix::run(sessfix::cli::parse()).into()
}
