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
