//! The command line itself: each command takes only its own options, `citecheck` alone is
//! `run`, shell completions and the manual page, the redirect wording, and what ships with
//! the binary (the Docker build step of `.ci/run`, the GitHub Action's run step).

use std::path::Path;

use crate::common::FixtureSite;
use crate::common::cmd::*;

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn each_command_refuses_the_options_of_the_others() {
    let dir = tempfile::tempdir().unwrap();
    seed_sources(dir.path());
    for (args, option) in [
        (
            &["verify", "--timeout", "5", "--remap", "a b"][..],
            "--timeout",
        ),
        (&["verify", "--remap", "a b"], "--remap"),
        (&["verify", "--cache", "c.jsonl"], "--cache"),
        (&["check", "--quotes", "x.csv"], "--quotes"),
        (&["check", "--archive", "elders"], "--archive"),
        (&["check", "--warc-max-size", "1MB"], "--warc-max-size"),
        // Pictures are written into the archive, which verify only reads.
        (&["verify", "--screenshots"], "--screenshots"),
        (&["check", "--screenshots"], "--screenshots"),
    ] {
        let output = citecheck(dir.path()).args(args).output().unwrap();
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("unexpected argument '{option}'")),
            "{args:?}: {stderr}"
        );
    }
    // Refused before anything was read or written.
    for name in ["links.csv", "report.csv", "archive"] {
        assert!(!dir.path().join(name).exists(), "{name}");
    }
}

#[test]
fn help_lists_only_the_options_that_apply() {
    let dir = tempfile::tempdir().unwrap();
    let help = |command: &str| {
        let output = citecheck(dir.path())
            .args([command, "--help"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0));
        stdout_of(&output)
    };
    // An option is listed when a line of the help starts with it (descriptions may name
    // other commands' options).
    let listed = |help: &str, option: &str| {
        help.lines().any(|l| {
            let l = l.trim_start();
            l == option || l.starts_with(&format!("{option} "))
        })
    };
    let check = help("check");
    for absent in [
        "--quotes",
        "--archive",
        "--report",
        "--offline",
        "--warc-max-size",
        "--screenshots",
    ] {
        assert!(
            !listed(&check, absent),
            "check --help lists {absent}:\n{check}"
        );
    }
    for present in [
        "--sources",
        "--links",
        "--timeout",
        "--remap",
        "--cache",
        "--format",
    ] {
        assert!(listed(&check, present), "check --help lacks {present}");
    }
    let verify = help("verify");
    for absent in [
        "--timeout",
        "--remap",
        "--retries",
        "--shard",
        "--cache",
        "--resume",
        "--offline",
        "--no-rescue",
        "--screenshots",
        "--chromium",
    ] {
        assert!(
            !listed(&verify, absent),
            "verify --help lists {absent}:\n{verify}"
        );
    }
    for present in [
        "--quotes",
        "--archive",
        "--report",
        "--repair",
        "--no-lock",
        "--html",
    ] {
        assert!(listed(&verify, present), "verify --help lacks {present}");
    }
    let run = help("run");
    for present in [
        "--offline",
        "--warc-max-size",
        "--quotes",
        "--timeout",
        "--shard",
        "--screenshots",
        "--chromium",
    ] {
        assert!(listed(&run, present), "run --help lacks {present}");
    }
    assert!(!listed(&run, "--repair") && !listed(&run, "--no-lock"));
}

/// `citecheck` with no subcommand is `run`, with run's options.
#[test]
fn no_subcommand_is_run() {
    let dir = tempfile::tempdir().unwrap();
    seed_sources(dir.path());
    let bare = citecheck(dir.path())
        .args(["--offline", "--archive", "nergens"])
        .output()
        .unwrap();
    let run = citecheck(dir.path())
        .args(["run", "--offline", "--archive", "nergens"])
        .output()
        .unwrap();
    assert_eq!(bare.status.code(), Some(2));
    assert_eq!(stderr_of(&bare), stderr_of(&run));
    assert!(stderr_of(&bare).contains("nergens"), "{}", stderr_of(&bare));
    // Options of the other commands are refused there too.
    let output = citecheck(dir.path()).arg("--repair").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn completions_for_every_shell_name_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = citecheck(dir.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{shell}: {}",
            stderr_of(&output)
        );
        let script = stdout_of(&output);
        // fish writes options as `-l no-lock`.
        for word in [
            "citecheck",
            "verify",
            "check",
            "ingest",
            "pack",
            "no-lock",
            "remap",
            "wacz",
        ] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let output = citecheck(dir.path())
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    // bash can load what it printed.
    let output = citecheck(dir.path())
        .args(["completions", "bash"])
        .output()
        .unwrap();
    let script = dir.path().join("citecheck.bash");
    std::fs::write(&script, &output.stdout).unwrap();
    let loaded = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && complete -p citecheck",
            script.display()
        ))
        .output()
        .unwrap();
    assert!(loaded.status.success(), "{}", stderr_of(&loaded));
    assert!(stdout_of(&loaded).contains("citecheck"));
}

#[test]
fn the_man_page_names_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let output = citecheck(dir.path()).arg("man").output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let page = stdout_of(&output);
    assert!(page.contains(".TH citecheck 1"), "{page}");
    for command in [
        "run",
        "check",
        "verify",
        "ingest",
        "text",
        "report",
        "completions",
        "merge",
        "pack",
    ] {
        assert!(
            page.contains(&format!("citecheck\\-{command}(1)")),
            "the page does not name {command}:\n{page}"
        );
    }
    // One page per command.
    let output = citecheck(dir.path())
        .args(["man", "--dir", "man1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let verify = std::fs::read_to_string(dir.path().join("man1/citecheck-verify.1")).unwrap();
    assert!(verify.contains("no\\-lock"), "{verify}");
    assert!(!verify.contains("\\-\\-timeout"), "{verify}");
    assert!(dir.path().join("man1/citecheck.1").is_file());
    assert!(dir.path().join("man1/citecheck-check.1").is_file());
}

/// A redirect to a 404: one request per hop, so no "after 2 attempts".
#[test]
fn a_redirect_to_a_404_counts_the_requests_at_the_end() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sources.csv"),
        format!("id,url\nmoved,{SITE}/moved-to-missing\nflaky,{SITE}/always-500\n"),
    )
    .unwrap();
    let output = citecheck(dir.path())
        .args(["check", "--no-probe", "--no-rescue", "--retries", "1"])
        .args(["--host-interval", "0"])
        .args(site.remap_args())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    let links = read_csv(&dir.path().join("links.csv"));
    assert_eq!(site.hits("/moved-to-missing"), 1);
    assert_eq!(site.hits("/missing"), 1);
    assert_eq!(links[0]["error"], "HTTP 404 Not Found", "{:?}", links[0]);
    assert_eq!(links[0]["attempts"], "2", "two requests in all");
    assert_eq!(links[0]["redirects"], "1");
    // A retried URL still says how often it was tried.
    assert!(
        links[1]["error"].contains("after 2 attempts"),
        "{:?}",
        links[1]
    );
}

/// Issue #19: `$1x` in a `--remap` replacement is the regex crate's group named `1x`, which
/// never matches (every URL would lose that part): refused before any request, with the
/// `${1}x` hint; the braced form and a plain `$1` work.
#[test]
fn a_remap_naming_no_group_is_refused_with_the_braced_hint() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sources.csv"),
        format!(
            "id,url
A,{SITE}/ok
"
        ),
    )
    .unwrap();
    let rule = |replacement: &str| {
        format!(
            r"^https://www\.overheidvannu\.nl/(o)(.*)$ {}/{replacement}",
            site.base()
        )
    };
    let check = |command: &str, rule: &str| {
        citecheck(dir.path())
            .args([command, "--no-probe", "--no-rescue", "--retries", "0"])
            .args(["--remap", rule])
            .output()
            .unwrap()
    };
    for command in ["check", "run"] {
        for (replacement, says) in [
            (
                "$1k",
                "names no group of the pattern; the regex crate reads `$1k` as a group named \
                 `1k`: write `${1}k`",
            ),
            ("$3", "`$3` in"),
            ("$3", "refers to group 3, but the pattern has 2 group(s)"),
            ("$naam", "`$naam` in"),
            ("$naam", "names no group of the pattern"),
        ] {
            let output = check(command, &rule(replacement));
            let stderr = stderr_of(&output);
            assert_eq!(
                output.status.code(),
                Some(2),
                "{command} {replacement}: {stderr}"
            );
            assert!(stderr.contains("--remap '^https://"), "{stderr}");
            assert!(stderr.contains(says), "{command} {replacement}: {stderr}");
        }
        assert_eq!(site.total_hits(), 0, "refused before any request");
        assert!(!dir.path().join("links.csv").exists());
    }
    // The braced form names group 1: /ok is requested as /ok and found.
    for replacement in ["${1}k", "$1$2"] {
        let output = check("check", &rule(replacement));
        assert_eq!(
            output.status.code(),
            Some(0),
            "{replacement}: {}",
            stderr_of(&output)
        );
        let links = read_csv(&dir.path().join("links.csv"));
        assert_eq!(links[0]["status"], "ok", "{replacement}: {:?}", links[0]);
    }
    assert_eq!(site.hits("/ok"), 2);
}

/// A folder of symlinks to a few tools: a PATH without docker (or with a fake one).
fn tool_dir(root: &Path, tools: &[&str]) -> std::path::PathBuf {
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in tools {
        let found = std::process::Command::new("bash")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .unwrap();
        let path = String::from_utf8(found.stdout).unwrap();
        std::os::unix::fs::symlink(path.trim(), bin.join(tool)).unwrap();
    }
    bin
}

/// `.ci/run` builds the image where a docker engine answers and says it skipped elsewhere.
#[test]
fn the_docker_step_is_skipped_with_a_notice_where_there_is_no_engine() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    assert!(ci.contains("scripts/docker_build.sh"), "{ci}");
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    assert!(dockerfile.contains("cargo build --release --locked"));
    assert!(dockerfile.contains("\nUSER citecheck\n"), "a non-root user");

    let dir = tempfile::tempdir().unwrap();
    let bin = tool_dir(dir.path(), &["bash", "dirname"]);
    let script = root.join("scripts/docker_build.sh");
    let output = std::process::Command::new(&script)
        .env("PATH", &bin)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(
        stdout_of(&output).contains("skipped (no docker command here)"),
        "{}",
        stdout_of(&output)
    );

    // A docker command whose engine does not answer: asked `info`, never `build`.
    let log = dir.path().join("docker.log");
    std::fs::write(
        bin.join("docker"),
        format!("#!/bin/bash\necho \"$@\" >> {}\nexit 1\n", log.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(bin.join("docker"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let output = std::process::Command::new(&script)
        .env("PATH", &bin)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(stdout_of(&output).contains("finds no engine"));
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "info\n");
}

/// The shell script of the action's "Run citecheck" step, as the runner would run it.
fn action_run_step() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let action = std::fs::read_to_string(root.join("action.yml")).unwrap();
    let lines: Vec<&str> = action.lines().collect();
    let id = lines
        .iter()
        .position(|l| l.trim() == "id: run")
        .expect("a step with id: run");
    let start = id
        + lines[id..]
            .iter()
            .position(|l| l.trim() == "run: |")
            .expect("its run: | block")
        + 1;
    lines[start..]
        .iter()
        .take_while(|l| l.is_empty() || l.starts_with("        "))
        .map(|l| l.get(8..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The action's run step: quoted arguments survive, annotations are printed, the exit code
/// is an output, and `fail` decides whether findings fail the step.
#[test]
fn the_action_runs_citecheck_with_annotations_and_its_exit_code() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sources.csv"),
        format!("url\n{SITE}/ok\n{SITE}/missing\n"),
    )
    .unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_citecheck"), bin.join("citecheck")).unwrap();
    let script = action_run_step();
    assert!(script.contains("eval \"citecheck $ARGS\""), "{script}");
    let args = format!(
        "check --no-probe --no-rescue --retries 0 --remap '{}' --remap '{}'",
        site.remap(),
        site.remap_archive()
    );
    for (fail, step_code) in [("true", 1), ("false", 0)] {
        let outputs = dir.path().join(format!("outputs-{fail}"));
        let output = std::process::Command::new("bash")
            .args(["-e", "-c", &script])
            .current_dir(dir.path())
            .env(
                "PATH",
                format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
            )
            .env("ARGS", &args)
            .env("FAIL", fail)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", &outputs)
            .env("NO_PROXY", "*")
            .env_remove("GITHUB_STEP_SUMMARY")
            .env_remove("GITHUB_WORKSPACE")
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(step_code),
            "fail={fail}: {}",
            stderr_of(&output)
        );
        assert_eq!(
            std::fs::read_to_string(&outputs).unwrap(),
            "exit_code=1\n",
            "fail={fail}"
        );
        let stdout = stdout_of(&output);
        assert!(
            stdout.contains("::error file=sources.csv,line=3,"),
            "{stdout}"
        );
    }
}

#[test]
fn licences_and_release_profile_ship_with_the_crate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("license = \"MIT OR Apache-2.0\""));
    let mit = std::fs::read_to_string(root.join("LICENSE-MIT")).unwrap();
    assert!(mit.contains("Copyright (c) 2026 The citecheck developers"));
    let apache = std::fs::read_to_string(root.join("LICENSE-APACHE")).unwrap();
    assert!(apache.contains("Apache License") && apache.contains("Version 2.0, January 2004"));
    // The shipped binary is stripped; the profiling build keeps what perf needs.
    let release = manifest.split("[profile.release]").nth(1).unwrap();
    let release = release.split("\n[").next().unwrap();
    assert!(release.contains("strip = \"symbols\""), "{release}");
    assert!(manifest.contains("[profile.profiling]\ninherits = \"release\""));
}
