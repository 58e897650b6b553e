//! Process limits the long-running commands raise at start.
//!
//! Every call holds a few sockets (the bridge: Twilio's stream and the agent's; the load
//! generator and the simulated agent: one per call), and many systems start processes with
//! a soft limit of 1024 open files while allowing far more. Raising the soft limit to the
//! hard one, as servers commonly do, lets a thousand calls through without a manual
//! `ulimit -n` (setrlimit(2), RLIMIT_NOFILE).

/// Raises the soft open-file limit to the hard limit. Returns (soft, hard) as they are after.
pub fn raise_open_file_limit() -> std::io::Result<(libc::rlim_t, libc::rlim_t)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into the struct it is given, which lives here.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit only reads the struct it is given.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        limit = raised;
    }
    Ok((limit.rlim_cur, limit.rlim_max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_ends_at_the_hard_limit() {
        let (soft, hard) = raise_open_file_limit().unwrap();
        assert_eq!(soft, hard);
        assert_eq!(
            raise_open_file_limit().unwrap(),
            (soft, hard),
            "raising twice changes nothing"
        );
    }
}
