//! The scenario file: a [`World`] in JSON or TOML (`docs/scenario.md`).
//!
//! Contract: loading validates ([`World::validate`]), so a world that loads is one the sim can
//! run; saving writes a file that loads back to an equal world. The format is picked by the
//! file extension (`.toml`, otherwise JSON); text with no known extension is tried as JSON
//! first, then TOML. Saves go through a temporary file and a rename, so a CLI command
//! interrupted mid-save never leaves half a world behind.

use crate::validate::InvalidWorld;
use crate::world::World;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Toml,
}

impl Format {
    /// `.toml` → TOML, anything else → JSON.
    pub fn of_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("toml") => Format::Toml,
            _ => Format::Json,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write scenario {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("scenario {origin} is not valid {format}: {message}")]
    Parse {
        origin: String,
        format: &'static str,
        message: String,
    },
    #[error("scenario {origin}: {source}")]
    Invalid {
        origin: String,
        source: InvalidWorld,
    },
    #[error("cannot encode the world as {format}: {message}")]
    Encode {
        format: &'static str,
        message: String,
    },
}

impl World {
    /// Load and validate a scenario file (JSON or TOML, by extension).
    pub fn from_path(path: impl AsRef<Path>) -> Result<World, ScenarioError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: path.to_owned(),
            source,
        })?;
        let origin = path.display().to_string();
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("toml") => World::parse(&text, Format::Toml, &origin),
            Some(e) if e.eq_ignore_ascii_case("json") => World::parse(&text, Format::Json, &origin),
            _ => World::parse(&text, Format::Json, &origin)
                .or_else(|_| World::parse(&text, Format::Toml, &origin)),
        }
    }

    /// Parse and validate a scenario; `origin` names it in errors (a path, `<stdin>`, …).
    pub fn parse(text: &str, format: Format, origin: &str) -> Result<World, ScenarioError> {
        let world: World = match format {
            Format::Json => serde_json::from_str(text).map_err(|e| ScenarioError::Parse {
                origin: origin.to_owned(),
                format: "json",
                message: e.to_string(),
            })?,
            Format::Toml => toml::from_str(text).map_err(|e| ScenarioError::Parse {
                origin: origin.to_owned(),
                format: "toml",
                message: e.to_string(),
            })?,
        };
        world.validate().map_err(|source| ScenarioError::Invalid {
            origin: origin.to_owned(),
            source,
        })?;
        Ok(world)
    }

    pub fn from_json_str(text: &str) -> Result<World, ScenarioError> {
        World::parse(text, Format::Json, "<json>")
    }

    pub fn from_toml_str(text: &str) -> Result<World, ScenarioError> {
        World::parse(text, Format::Toml, "<toml>")
    }

    /// The world as pretty JSON. Infallible: every map in a world is keyed by strings.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a world always encodes as json")
    }

    pub fn to_toml(&self) -> Result<String, ScenarioError> {
        toml::to_string_pretty(self).map_err(|e| ScenarioError::Encode {
            format: "toml",
            message: e.to_string(),
        })
    }

    pub fn encode(&self, format: Format) -> Result<String, ScenarioError> {
        match format {
            Format::Json => Ok(self.to_json_pretty() + "\n"),
            Format::Toml => self.to_toml(),
        }
    }

    /// Write the world to `path` (format by extension), atomically.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), ScenarioError> {
        let path = path.as_ref();
        let text = self.encode(Format::of_path(path))?;
        let write_err = |source| ScenarioError::Write {
            path: path.to_owned(),
            source,
        };
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, text).map_err(write_err)?;
        std::fs::rename(&tmp, path).map_err(write_err)
    }
}
