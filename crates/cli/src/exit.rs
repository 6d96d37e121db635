//! Exit codes: 0 success, 1 device or runtime error, 2 usage error.
//!
//! A usage error is anything the user can fix in the command line, a file or the settings before
//! anything is sent: clap's own parse errors (clap exits 2 itself), [`UsageError`]s raised by the
//! commands, and the libraries' validation errors ("invalid …; nothing was sent").

use std::fmt;
use std::process::ExitCode;

/// A mistake in the command line, an input file or the settings, found before anything was sent.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Returns early with a [`UsageError`] built like `format!`.
macro_rules! usage_bail {
    ($($arg:tt)*) => {
        return Err(anyhow::Error::new($crate::exit::UsageError(format!($($arg)*))))
    };
}
pub(crate) use usage_bail;

/// Marks an error (e.g. from reading the settings) as the user's to fix, keeping its text.
pub fn as_usage(err: anyhow::Error) -> anyhow::Error {
    anyhow::Error::new(UsageError(format!("{err:#}")))
}

/// Whether `err` (or anything in its cause chain) is the user's to fix before sending.
pub fn is_usage(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.is::<UsageError>()
            || matches!(
                cause.downcast_ref::<panops_client::Error>(),
                Some(panops_client::Error::Invalid { .. } | panops_client::Error::Config { .. })
            )
            || matches!(
                cause.downcast_ref::<panops_panos::Error>(),
                Some(panops_panos::Error::Invalid { .. })
            )
    })
}

/// Whether the command ended because standard output was closed under it (a pipe to `head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// One sentence on what to do about `err`, when there is something specific to say.
pub fn hint_for(err: &anyhow::Error) -> Option<&'static str> {
    let api = err.chain().find_map(|cause| {
        cause
            .downcast_ref::<panops_client::Error>()
            .and_then(panops_client::Error::as_api)
            .or_else(|| cause.downcast_ref::<panops_panos::ApiError>())
    })?;
    api.is_invalid_credentials().then_some(
        "the device refused the credentials or this admin's role does not allow the request: \
         check the user name (--username, PANOS_USERNAME or the profile's username), the \
         password (--password-stdin, PANOS_PASSWORD or the profile's password) or the API key \
         (--api-key-file, PANOS_API_KEY or the profile's api_key_file)",
    )
}

/// The exit code for an error that ended the command.
pub fn code_for(err: &anyhow::Error) -> ExitCode {
    if is_usage(err) {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_and_validation_errors_exit_2_device_errors_exit_1() {
        let usage = anyhow::Error::new(UsageError("push needs --device-group".into()));
        assert!(is_usage(&usage));
        let invalid: anyhow::Error = panops_client::Error::Invalid {
            field: "ip".into(),
            reason: "not an IP address".into(),
        }
        .into();
        assert!(is_usage(&invalid.context("userid login")));
        let panos_invalid: anyhow::Error = panops_panos::Error::invalid("cmd", "empty").into();
        assert!(is_usage(&panos_invalid));
        let other = anyhow::anyhow!("the device said no");
        assert!(!is_usage(&other));
        let pipe: anyhow::Error = std::io::Error::from(std::io::ErrorKind::BrokenPipe).into();
        assert!(is_broken_pipe(&pipe.context("writing the output")));
        assert!(!is_broken_pipe(&other));
    }
}
