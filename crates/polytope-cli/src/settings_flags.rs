//! Command-line flags generated from a settings description
//! (`polytope_core::settings::Described`): one `--flag VALUE` per setting, named like the URL
//! parameter (`d_sae` -> `--d-sae`), with the description's help line and its possible values
//! or range. The values are collected as name/value pairs and read by the same
//! `from_pairs` the pages use, so a flag and a URL parameter can never disagree.

use std::marker::PhantomData;

use clap::{Arg, ArgMatches, Args, Command, FromArgMatches};
use polytope_core::settings::Described;

/// The settings flags of a command, as name/value pairs in the order given.
pub struct SettingFlags<S> {
    pairs: Vec<(&'static str, String)>,
    _settings: PhantomData<S>,
}

impl<S: Described> SettingFlags<S> {
    /// The flags given, as `(setting, value)`.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        self.pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }

    /// The flags given, with `defaults` first for settings that were not given (a command's
    /// own defaults, such as the preset `intro`).
    pub fn pairs_with(
        &self,
        defaults: &[(&'static str, &'static str)],
    ) -> Vec<(&'static str, &str)> {
        let mut out: Vec<(&'static str, &str)> = defaults
            .iter()
            .filter(|(k, _)| !self.pairs.iter().any(|(n, _)| n == k))
            .copied()
            .collect();
        out.extend(self.pairs());
        out
    }
}

impl<S: Described> FromArgMatches for SettingFlags<S> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let pairs = S::settings()
            .iter()
            .filter_map(|s| {
                matches
                    .get_one::<String>(s.name)
                    .map(|v| (s.name, v.clone()))
            })
            .collect();
        Ok(Self {
            pairs,
            _settings: PhantomData,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl<S: Described> Args for SettingFlags<S> {
    fn augment_args(mut cmd: Command) -> Command {
        for s in S::settings() {
            cmd = cmd.arg(
                Arg::new(s.name)
                    .long(s.flag())
                    .value_name(s.flag().to_uppercase())
                    .help(s.help_with_values())
                    .num_args(1),
            );
        }
        cmd
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}
