//! Jobs (commit, validate, commit-all) that progress PEND → ACT → FIN over time.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::xml::{self, Element};

/// Per-device result of a commit-all.
#[derive(Debug, Clone)]
pub struct DeviceResult {
    /// Serial.
    pub serial: String,
    /// Hostname.
    pub name: String,
    /// Success.
    pub ok: bool,
    /// Error lines.
    pub errors: Vec<String>,
    /// Warning lines.
    pub warnings: Vec<String>,
}

/// What happens when the job finishes.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Replace the device's running config.
    Commit(Box<Element>),
    /// Push Panorama config to managed firewalls (applied to their running and candidate).
    Push(Box<PushPlan>),
}

/// What a commit-all pushes.
#[derive(Debug, Clone)]
pub enum PushTarget {
    /// Shared + device-group policy and objects.
    DeviceGroup(String),
    /// A template.
    Template(String),
    /// A template stack.
    Stack(String),
}

/// A commit-all to apply when the job finishes.
#[derive(Debug, Clone)]
pub struct PushPlan {
    /// Panorama's running config at enqueue.
    pub pano: Element,
    /// What to push.
    pub target: PushTarget,
    /// Devices that passed validation.
    pub serials: Vec<String>,
    /// Devices the push failed on (their last push state becomes `commit failed`).
    pub failed: Vec<String>,
}

/// One job.
#[derive(Debug, Clone)]
pub struct Job {
    /// Job id.
    pub id: u64,
    /// Job type (Commit, CommitAll, Validate).
    pub kind: String,
    /// Admin.
    pub user: String,
    /// Enqueue time.
    pub tenq: DateTime<Utc>,
    /// When it starts running.
    pub start: Instant,
    /// Duration of the run.
    pub duration: Duration,
    /// Description.
    pub description: String,
    /// Result at FIN.
    pub ok: bool,
    /// Detail lines at FIN.
    pub details: Vec<String>,
    /// Warning lines.
    pub warnings: Vec<String>,
    /// Commit-all device results.
    pub devices: Vec<DeviceResult>,
    /// Device group pushed (commit-all).
    pub dgname: Option<String>,
    /// Effect to apply at FIN.
    pub effect: Option<Effect>,
    /// Whether the effect has been applied.
    pub applied: bool,
}

/// Job progress at a point in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Queued.
    Pend,
    /// Running, with progress percent.
    Act(u8),
    /// Finished.
    Fin,
}

impl Job {
    /// Phase now.
    pub fn phase(&self, now: Instant) -> Phase {
        if now < self.start {
            return Phase::Pend;
        }
        let el = now.duration_since(self.start);
        if el >= self.duration {
            return Phase::Fin;
        }
        let pct = (el.as_secs_f64() / self.duration.as_secs_f64().max(0.001) * 100.0) as u8;
        Phase::Act(pct.min(99))
    }

    /// When it finishes.
    pub fn end(&self) -> Instant {
        self.start.checked_add(self.duration).unwrap_or(self.start)
    }

    /// Wall-clock finish time, given the simulator's `now` and its wall-clock `utc`.
    fn tfin(&self, now: Instant, utc: DateTime<Utc>) -> DateTime<Utc> {
        let end = self.end();
        if end >= now {
            utc + chrono::Duration::from_std(end - now).unwrap_or_default()
        } else {
            utc - chrono::Duration::from_std(now - end).unwrap_or_default()
        }
    }

    /// `<job>` element for `show jobs` at simulator time `now` (wall clock `utc`).
    pub fn render(&self, now: Instant, utc: DateTime<Utc>) -> Element {
        let phase = self.phase(now);
        let (status, progress, result) = match phase {
            Phase::Pend => ("PEND", 0u8, "PEND"),
            Phase::Act(p) => ("ACT", p, "PEND"),
            Phase::Fin => ("FIN", 100, if self.ok { "OK" } else { "FAIL" }),
        };
        let fin = phase == Phase::Fin;
        let tdeq = self.tenq.format("%H:%M:%S").to_string();
        let mut job = Element::new("job")
            .with_text_child("tenq", self.tenq.format("%Y/%m/%d %H:%M:%S").to_string())
            .with_text_child("tdeq", tdeq)
            .with_text_child("id", self.id.to_string())
            .with_text_child("user", self.user.clone())
            .with_text_child("type", self.kind.clone())
            .with_text_child("status", status)
            .with_text_child("queued", if phase == Phase::Pend { "YES" } else { "NO" })
            .with_text_child("stoppable", if fin { "no" } else { "yes" })
            .with_text_child("result", result)
            .with_text_child(
                "tfin",
                if fin {
                    self.tfin(now, utc).format("%Y/%m/%d %H:%M:%S").to_string()
                } else {
                    "Still Active".to_string()
                },
            )
            .with_text_child("description", self.description.clone())
            .with_text_child("positionInQ", "0")
            .with_text_child("progress", progress.to_string());
        if let Some(dg) = &self.dgname {
            job = job
                .with_text_child("push_type", "SharedPolicy")
                .with_text_child("dgname", dg.clone());
        }
        let mut details = Element::new("details");
        if fin {
            for l in &self.details {
                details.children.push(Element::text_node("line", l.clone()));
            }
        }
        job.children.push(details);
        let mut warnings = Element::new("warnings");
        if fin {
            for l in &self.warnings {
                warnings
                    .children
                    .push(Element::text_node("line", l.clone()));
            }
        }
        job.children.push(warnings);
        if !self.devices.is_empty() {
            let mut devs = Element::new("devices");
            let tstart = self.tenq.format("%Y/%m/%d %H:%M:%S").to_string();
            for d in &self.devices {
                let (st, res) = if fin {
                    (
                        if d.ok {
                            "commit succeeded"
                        } else {
                            "commit failed"
                        },
                        if d.ok { "OK" } else { "FAIL" },
                    )
                } else {
                    ("pending", "PEND")
                };
                let mut e = Element::entry(d.serial.clone())
                    .with_text_child("serial-no", d.serial.clone())
                    .with_text_child("devicename", d.name.clone())
                    .with_text_child("multi-vsys", "no")
                    .with_text_child("vsys", "vsys1")
                    .with_text_child("status", st)
                    .with_text_child("result", res)
                    .with_text_child("tstart", tstart.clone())
                    .with_text_child(
                        "tfin",
                        if fin {
                            self.tfin(now, utc).format("%Y/%m/%d %H:%M:%S").to_string()
                        } else {
                            String::new()
                        },
                    );
                let mut msg = Element::new("msg");
                if fin {
                    let mut errs = Element::new("errors");
                    for l in &d.errors {
                        errs.children.push(Element::text_node("line", l.clone()));
                    }
                    let mut warns = Element::new("warnings");
                    for l in &d.warnings {
                        warns.children.push(Element::text_node("line", l.clone()));
                    }
                    msg.children.push(errs);
                    msg.children.push(warns);
                }
                e.children.push(Element::new("details").with_child(msg));
                devs.children.push(e);
            }
            job.children.push(devs);
        }
        job
    }
}

/// `<response>` for one job.
pub fn show_job(job: &Job, now: Instant, utc: DateTime<Utc>) -> String {
    format!(
        "<response status=\"success\"><result>{}</result></response>",
        job.render(now, utc).to_xml()
    )
}

/// Enqueued envelope.
pub fn enqueued(id: u64, what: &str) -> String {
    format!(
        "<response status=\"success\" code=\"19\"><result><msg><line>{} job enqueued with jobid {id}</line></msg><job>{id}</job></result></response>",
        xml::escape(what)
    )
}
