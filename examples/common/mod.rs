//! Helpers shared by the examples.

/// The process exit of an example named `name`: success, or the error on
/// stderr and failure.
pub(crate) fn finish<E: std::fmt::Display>(
    name: &str,
    result: Result<(), E>,
) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
