//! `set system setting …` / `show system setting …`: the operational settings the simulator
//! models, and the device's refusal of the others (never a success that changes nothing).
//!
//! `target-vsys` is the one clients use: scripts run `set system setting target-vsys vsysN`
//! before vsys-scoped op commands (EDL refresh, registered-ip listing — seen in public
//! automation such as PaloAltoNetworks' DAG tools and EDL refresh scripts) and read it back
//! with `show system setting target-vsys`. On the device it is scoped to the admin's session;
//! the XML API has no sessions, so the simulator keeps it per admin and device. Requests of
//! that admin that name no `vsys=` then act on that vsys (the API's `vsys=` still wins).
//! `none` clears it. The reply texts are not in our sources: the set answers an empty
//! success as before, the show answers the vsys name (or `none`) as text.

use crate::device::{ApiError, Device};
use crate::xml::{self, Element};

/// The op commands of this module; `None` when `el` is not one of them.
pub fn run(dev: &mut Device, user: &str, el: &Element) -> Option<Result<String, ApiError>> {
    let setting = el.find("system/setting")?;
    match el.name.as_str() {
        "set" => Some(set(dev, user, setting)),
        "show" if setting.child("jumbo-frame").is_some() => {
            Some(Ok(crate::ops::readiness::jumbo_frame(dev)))
        }
        "show" if setting.child("target-vsys").is_some() => Some(Ok(format!(
            "<response status=\"success\"><result>{}</result></response>",
            xml::escape(
                dev.target_vsys
                    .get(user)
                    .map(String::as_str)
                    .unwrap_or("none")
            )
        ))),
        _ => None,
    }
}

fn set(dev: &mut Device, user: &str, setting: &Element) -> Result<String, ApiError> {
    let Some(what) = setting.children.first() else {
        return Err(ApiError::new(
            17,
            "Invalid syntax or unknown command: set system setting",
        ));
    };
    if what.name != "target-vsys" || setting.children.len() > 1 {
        // modelling a setting means showing its effect; the others are refused by name
        let names: Vec<&str> = setting.children.iter().map(|c| c.name.as_str()).collect();
        return Err(ApiError::new(
            17,
            format!(
                "set system setting {}: this setting is not modelled by the simulator",
                names.join(" ")
            ),
        ));
    }
    if dev.panorama {
        return Err(ApiError::new(
            17,
            "set system setting target-vsys: Panorama has no virtual systems",
        ));
    }
    let vsys = what.text_str();
    match vsys {
        "" => Err(ApiError::new(
            17,
            "set system setting target-vsys: a vsys name (or none) is required",
        )),
        "none" => {
            dev.target_vsys.remove(user);
            Ok("<response status=\"success\"><result/></response>".into())
        }
        v => {
            crate::ops::check_vsys(dev, v)?;
            dev.target_vsys.insert(user.to_string(), v.to_string());
            Ok("<response status=\"success\"><result/></response>".into())
        }
    }
}
