//! The README's tour, run as written: every `sh` block of "A short tour" goes to one
//! bash session, in order, against a devstack started as `make run` starts it (dev
//! clock, dev tools, background polling, the console). After each command:
//!
//! - `# → <output>` is what it must print (`…` stands for anything; runs of spaces
//!   count as one; `$NAME` is the shell's value of that variable);
//! - `# console: <line>` is a line the `make run` console must show (waited for).
//!
//! The only change made to the commands is the address: `localhost:3000` becomes
//! this devstack's port. The tokens `make run` prints are exported first, as the
//! README asks the reader to paste them. A command that calls the API and states no
//! outcome fails the test, so the tour cannot drift from the system unnoticed.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use devstack::DevClock;
use sigap::runtime::ids::OsRandom;
use sigap_tests::{clients, instants_off_convention, moto_endpoint, template_text, unique_prefix};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{ChildStdin, ChildStdout};

/// One step of the tour: commands and what they must show.
#[derive(Debug, Default, PartialEq)]
struct Step {
    /// README line of the step's first command.
    line: usize,
    /// The commands, as written.
    commands: String,
    /// `# →` lines: what the commands print, together.
    prints: Vec<String>,
    /// `# console:` lines, each a console line to wait for.
    console: Vec<String>,
}

impl Step {
    fn expects_something(&self) -> bool {
        !self.prints.is_empty() || !self.console.is_empty()
    }

    /// A read can be asked again until the system has caught up (verify and notify
    /// run in the background); anything that writes runs once.
    fn is_read(&self) -> bool {
        !["-X", " -d ", "SMS "]
            .iter()
            .any(|write| self.commands.contains(write))
    }

    /// Calls the API or a dev tool (and so must say what it shows).
    fn calls(&self) -> bool {
        self.commands
            .lines()
            .map(str::trim_start)
            .any(|l| l.starts_with("api ") || l.starts_with("SMS "))
    }
}

/// The steps of the README's "A short tour" section, in order.
fn tour_steps(readme: &str) -> Vec<Step> {
    let start = readme
        .find("## A short tour")
        .expect("README has no \"## A short tour\" section");
    let end = readme[start + 3..]
        .find("\n## ")
        .map_or(readme.len(), |i| start + 3 + i);
    let first_line = readme[..start].lines().count();
    let mut steps = Vec::new();
    let mut step = Step::default();
    let mut in_block = false;
    for (n, line) in readme[start..end].lines().enumerate() {
        let number = first_line + n + 1;
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            if in_block && (step.expects_something() || !step.commands.trim().is_empty()) {
                steps.push(std::mem::take(&mut step));
            }
            in_block = trimmed == "```sh" || (in_block && trimmed != "```");
            continue;
        }
        if !in_block {
            continue;
        }
        if step.line == 0 {
            step.line = number;
        }
        if let Some(said) = trimmed.strip_prefix("# → ") {
            step.prints.push(said.to_string());
        } else if let Some(shown) = trimmed.strip_prefix("# console: ") {
            step.console.push(shown.to_string());
        } else if trimmed.is_empty() && step.expects_something() {
            continue;
        } else {
            if step.expects_something() {
                steps.push(std::mem::take(&mut step));
            }
            if step.commands.is_empty() {
                step.line = number;
            }
            step.commands.push_str(line);
            step.commands.push('\n');
        }
    }
    steps
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `text` is `pattern`, where `…` stands for any run of characters.
fn matches(pattern: &str, text: &str) -> bool {
    let (pattern, text) = (squeeze(pattern), squeeze(text));
    let parts: Vec<&str> = pattern.split('…').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == text;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// One bash session the tour's commands run in, stderr folded into stdout.
struct Shell {
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    _child: tokio::process::Child,
}

const DONE: &str = "__TOUR_STEP_DONE__";

impl Shell {
    async fn start() -> Self {
        let mut child = tokio::process::Command::new("bash")
            .args(["--noprofile", "--norc"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("bash runs the README's tour");
        let mut shell = Shell {
            stdin: child.stdin.take().unwrap(),
            stdout: BufReader::new(child.stdout.take().unwrap()).lines(),
            _child: child,
        };
        shell.run("exec 2>&1\n").await;
        shell
    }

    /// Runs `commands` and returns what they printed.
    async fn run(&mut self, commands: &str) -> String {
        let script = format!("{commands}\nprintf '\\n{DONE}\\n'\n");
        self.stdin.write_all(script.as_bytes()).await.unwrap();
        self.stdin.flush().await.unwrap();
        let mut out = String::new();
        let read = async {
            while let Some(line) = self.stdout.next_line().await.unwrap() {
                if line == DONE {
                    break;
                }
                out.push_str(&line);
                out.push('\n');
            }
        };
        tokio::time::timeout(Duration::from_secs(90), read)
            .await
            .unwrap_or_else(|_| panic!("the tour's commands did not finish:\n{commands}"));
        out
    }

    /// `text` with every `$NAME` replaced by the shell's value of it.
    async fn expand(&mut self, text: &str) -> String {
        let mut expanded = String::new();
        let mut rest = text;
        while let Some(i) = rest.find('$') {
            expanded.push_str(&rest[..i]);
            let name: String = rest[i + 1..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            if name.is_empty() {
                expanded.push('$');
            } else {
                let value = self.run(&format!("printf '%s' \"${name}\"")).await;
                expanded.push_str(value.trim_end_matches('\n'));
            }
            rest = &rest[i + 1 + name.len()..];
        }
        expanded.push_str(rest);
        expanded
    }
}

/// Waits for a console line matching `pattern` that no earlier expectation used.
async fn console_shows(console: &Mutex<Vec<String>>, used: &mut Vec<usize>, pattern: &str) -> bool {
    let started = Instant::now();
    // Tier 1 is paged a minute after the press; allow for a loaded machine.
    while started.elapsed() < Duration::from_secs(150) {
        let lines = console.lock().unwrap().clone();
        if let Some(i) =
            (0..lines.len()).find(|i| !used.contains(i) && matches(pattern, &lines[*i]))
        {
            used.push(i);
            return true;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    false
}

/// The instants in a step's printed answers (`<status> <json>` lines) off the API's
/// one convention.
fn off_convention(printed: &str) -> Vec<String> {
    printed
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter_map(|(_, body)| serde_json::from_str::<serde_json::Value>(body).ok())
        .flat_map(|json| instants_off_convention(&json, "$"))
        .collect()
}

#[tokio::test]
async fn the_readme_tour_runs_as_written() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let steps = tour_steps(&readme);
    assert!(steps.len() > 20, "the tour has {} steps", steps.len());
    let silent: Vec<usize> = steps
        .iter()
        .filter(|s| s.calls() && !s.expects_something())
        .map(|s| s.line)
        .collect();
    assert!(
        silent.is_empty(),
        "README lines {silent:?} call the API and state no outcome"
    );

    for tool in ["curl", "jq"] {
        let found = std::process::Command::new("bash")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|out| out.status.success());
        assert!(
            found,
            "the tour needs {tool} (a README prerequisite; .ci/run installs it)"
        );
    }

    let clock = Arc::new(DevClock::default());
    let mut running = devstack::start(devstack::Options {
        template: template_text(),
        prefix: unique_prefix("tour"),
        bind: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        clients: clients().await,
        clock: clock.clone(),
        ids: Arc::new(OsRandom),
        background: true,
        dev_clock: Some(clock),
        moto_url: Some(moto_endpoint().to_string()),
        crashes: None,
    })
    .await
    .unwrap();
    let console = Arc::new(Mutex::new(Vec::new()));
    let sink = console.clone();
    running
        .watch(Arc::new(move |line| sink.lock().unwrap().push(line)))
        .await;
    let address = running.base_url.trim_start_matches("http://").to_string();

    let mut shell = Shell::start().await;
    let pasted: String = running
        .demo_staff_tokens()
        .into_iter()
        .map(|(name, token)| format!("export {name}={token}\n"))
        .collect();
    shell.run(&pasted).await;
    let mut used = Vec::new();
    for step in &steps {
        let commands = step.commands.replace("localhost:3000", &address);
        let started = Instant::now();
        let mut printed = shell.run(&commands).await;
        // After the run: a step may set the variable its outcome names.
        let wanted = shell.expand(&step.prints.join("\n")).await;
        while !step.prints.is_empty()
            && !matches(&wanted, &printed)
            && step.is_read()
            && started.elapsed() < Duration::from_secs(30)
        {
            tokio::time::sleep(Duration::from_millis(500)).await;
            printed = shell.run(&commands).await;
        }
        assert!(
            step.prints.is_empty() || matches(&wanted, &printed),
            "README line {}:\n{}\nstates:\n{wanted}\nbut printed:\n{printed}",
            step.line,
            step.commands
        );
        let off = off_convention(&printed);
        assert!(
            off.is_empty(),
            "README line {}: instants off the convention: {off:?}",
            step.line
        );
        for pattern in &step.console {
            let pattern = shell.expand(pattern).await;
            assert!(
                console_shows(&console, &mut used, &pattern).await,
                "README line {}: the console never showed\n{pattern}\nit showed:\n{}",
                step.line,
                console.lock().unwrap().join("\n")
            );
        }
    }
    running.shutdown();
}

#[test]
fn outcomes_match_with_ellipses_and_loose_spaces() {
    assert!(matches(
        "201 {\"id\":\"BDG-…\",…}",
        "201 {\"id\":\"BDG-X\",\"a\":1}"
    ));
    assert!(matches("[page] tier=0 …", "[page]   tier=0  SIGAP"));
    assert!(matches("a…b…c", "abc"));
    assert!(!matches("201 …", "409 {}"));
    assert!(!matches("a…b", "a b c"));
    assert!(!matches("ab…ba", "aba"));
}

#[test]
fn the_tour_splits_into_commands_and_what_they_show() {
    let readme = "# x\n\n## A short tour\n\ntext\n\n```sh\nA=1\napi $API/x\n# → 200 {}\n# console: [page] …\n\napi $API/y\n```\n\n```json\napi no\n```\n\n## Next\n```sh\napi z\n```\n";
    let steps = tour_steps(readme);
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert_eq!(steps[0].commands, "A=1\napi $API/x\n");
    assert_eq!(steps[0].line, 8);
    assert_eq!(steps[0].prints, ["200 {}"]);
    assert_eq!(steps[0].console, ["[page] …"]);
    assert!(steps[1].calls() && !steps[1].expects_something());
}
