//! `request system software download version X` and `request content upgrade download
//! latest`: downloads from the update server, modelled as jobs. The file counts as downloaded
//! once its job has finished: from then on `request system software info` /
//! `request content upgrade info` list it `downloaded yes` and it takes its size in
//! /opt/panrepo (`show system disk-space`, see [`super::disk`]).
//!
//! The command words are pan-os-python's (`panos/updater.py`: `request system software
//! download sync-to-peer "yes" version "X"`, `request content upgrade download latest ""
//! sync-to-peer "yes"`). The replies follow the PAN-OS and Panorama API Usage Guide (9.1,
//! "Upgrade a firewall" use case): `Download job enqueued with jobid N`, then a `Downld` job
//! whose details are `Successfully downloaded`, `Preloading into software manager`,
//! `Successfully loaded into software manager`; a content download's job says `File
//! successfully downloaded` (a device reply quoted in a public content-update script). The
//! refusals' texts are ours.

use std::time::Duration;

use super::tools;
use crate::device::{ApiError, Device};
use crate::jobs::{self, Phase};
use crate::xml::Element;

/// One file fetched (or being fetched) into /opt/panrepo.
#[derive(Debug, Clone)]
pub struct Download {
    /// File name (`PanOS_vm-11.1.3`, `panupv2-all-contents-8842-9002`).
    pub file: String,
    /// Size in bytes.
    pub bytes: u64,
    /// The download job.
    pub job: u64,
}

/// Whether the job of a download has finished (a download whose job is gone, e.g. cut by a
/// restart, never completed).
fn done(dev: &Device, d: &Download) -> bool {
    dev.jobs
        .get(&d.job)
        .is_some_and(|j| j.phase(dev.clock.now()) == Phase::Fin)
}

/// Whether `file` has been downloaded.
pub fn downloaded(dev: &Device, file: &str) -> bool {
    dev.monitor
        .disk
        .downloads
        .iter()
        .any(|d| d.file == file && done(dev, d))
}

/// Bytes the finished downloads take in /opt/panrepo.
pub fn repo_bytes(dev: &Device) -> u64 {
    dev.monitor
        .disk
        .downloads
        .iter()
        .filter(|d| done(dev, d))
        .map(|d| d.bytes)
        .sum()
}

/// The download commands; `None` for other commands.
pub fn run(
    dev: &mut Device,
    user: &str,
    el: &Element,
    duration: Duration,
) -> Option<Result<String, ApiError>> {
    if let Some(d) = el.find("system/software/download") {
        return Some(software(dev, user, d, duration));
    }
    if let Some(d) = el.find("content/upgrade/download") {
        return Some(content(dev, user, d, duration));
    }
    None
}

fn sync_to_peer(d: &Element, path: &str) -> Result<(), ApiError> {
    match d.find_text("sync-to-peer").map(str::trim) {
        None | Some("yes") | Some("no") => Ok(()),
        Some(v) => Err(ApiError::new(
            17,
            format!("{path} -> sync-to-peer '{v}' is not a valid value (yes or no)"),
        )),
    }
}

fn software(
    dev: &mut Device,
    user: &str,
    d: &Element,
    duration: Duration,
) -> Result<String, ApiError> {
    sync_to_peer(d, "request -> system -> software -> download")?;
    let version = d
        .find_text("version")
        .map(|v| v.trim().trim_matches('"'))
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                17,
                "request -> system -> software -> download -> version needs to have non NULL value",
            )
        })?
        .to_string();
    let (file, kb) = tools::software_image(dev, &version).ok_or_else(|| {
        ApiError::new(
            17,
            format!(
                "Version {version} is not in the list of available software; run request system software check"
            ),
        )
    })?;
    if version == super::SW_VERSION {
        return Err(ApiError::new(
            17,
            format!("Version {version} is the running software and is already downloaded"),
        ));
    }
    Ok(enqueue(
        dev,
        user,
        file,
        kb * 1024,
        duration,
        vec![
            "Successfully downloaded".into(),
            "Preloading into software manager".into(),
            "Successfully loaded into software manager".into(),
        ],
    ))
}

fn content(
    dev: &mut Device,
    user: &str,
    d: &Element,
    duration: Duration,
) -> Result<String, ApiError> {
    sync_to_peer(d, "request -> content -> upgrade -> download")?;
    if d.child("latest").is_none() {
        return Err(ApiError::new(
            17,
            "request -> content -> upgrade -> download: give latest",
        ));
    }
    let (_, file, kb) = tools::latest_content(dev).ok_or_else(|| {
        ApiError::new(
            17,
            "No content release is available; run request content upgrade check",
        )
    })?;
    Ok(enqueue(
        dev,
        user,
        file,
        kb * 1024,
        duration,
        vec!["File successfully downloaded".into()],
    ))
}

fn enqueue(
    dev: &mut Device,
    user: &str,
    file: String,
    bytes: u64,
    duration: Duration,
    details: Vec<String>,
) -> String {
    let id = dev.next_job;
    dev.next_job += 1;
    // jobs run one after another, as the device's job queue runs them
    let start = crate::api::SimState::next_start(dev);
    dev.jobs.insert(
        id,
        jobs::Job {
            id,
            kind: "Downld".into(),
            user: user.to_string(),
            tenq: dev.clock.utc(),
            start,
            duration,
            description: String::new(),
            ok: true,
            details,
            warnings: vec![],
            devices: vec![],
            dgname: None,
            effect: None,
            applied: false,
        },
    );
    // a second download of the same file replaces the first (the file is fetched again)
    dev.monitor.disk.downloads.retain(|d| d.file != file);
    dev.monitor.disk.downloads.push(Download {
        file,
        bytes,
        job: id,
    });
    jobs::enqueued(id, "Download")
}
