//! A throwaway PostgreSQL server for the test suites.
//!
//! The first test of a process that asks for it starts one server, on
//! loopback, with its data in a fresh temporary directory; every test then
//! takes a schema of its own ([`Cluster::fresh_url`]), so tests run in
//! parallel without seeing each other's rows. The server is the test
//! process's child and is told to stop when that process ends, however it
//! ends (`PR_SET_PDEATHSIG`); the next run removes the directories of
//! servers whose process is gone.
//!
//! Where no PostgreSQL is installed, it is installed from the distribution
//! (`apt-get install postgresql`) when running as root, as on a fresh CI
//! machine; otherwise the first test fails saying what to install.
//! `OFFICINE_PG_BIN` points at another installation's `bin` directory.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The server every test of this process shares.
#[derive(Debug)]
pub struct Cluster {
    port: u16,
    bin: PathBuf,
    data: PathBuf,
}

/// Prefix of the servers' data directories in the temporary directory.
const DIR_PREFIX: &str = "officine-test-pg-";

/// The database every schema lives in.
const DATABASE: &str = "officine_test";

/// The role the tests connect as (trusted on loopback: a test server only).
const ROLE: &str = "officine";

/// The shared server, started on first use.
///
/// # Panics
///
/// If no server can be started: the message says why.
pub fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
    match CLUSTER.get_or_init(Cluster::start) {
        Ok(cluster) => cluster,
        Err(why) => panic!("no PostgreSQL server for the tests: {why}"),
    }
}

impl Cluster {
    /// The URL of a new, empty schema of the test database: connections
    /// made with it create and find their tables there.
    pub fn fresh_url(&self) -> String {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let schema = format!(
            "t{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        self.psql(DATABASE, &format!("CREATE SCHEMA {schema}"))
            .unwrap_or_else(|e| panic!("creating schema {schema}: {e}"));
        format!("{}?options=-c%20search_path%3D{schema}", self.url())
    }

    /// The URL of the test database, in its default schema.
    pub fn url(&self) -> String {
        format!("postgres://{ROLE}@127.0.0.1:{}/{DATABASE}", self.port)
    }

    /// The server's major version, as `psql` reports it.
    pub fn version(&self) -> Result<String, String> {
        self.psql(DATABASE, "SHOW server_version")
    }

    fn start() -> Result<Cluster, String> {
        remove_stale_directories();
        let bin = binaries()?;
        let data = std::env::temp_dir().join(format!("{DIR_PREFIX}{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir(&data).map_err(|e| format!("{}: {e}", data.display()))?;
        let owner = Owner::for_server()?;
        owner.own(&data)?;

        let initdb = owner
            .command(bin.join("initdb"))
            .args([
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ])
            .arg(format!("--username={ROLE}"))
            .arg("-D")
            .arg(&data)
            .output()
            .map_err(|e| format!("running initdb: {e}"))?;
        if !initdb.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&initdb.stderr)
            ));
        }

        let port = free_port()?;
        let mut server = owner.command(bin.join("postgres"));
        server
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string()])
            .arg("-k")
            .arg(&data)
            .args(["-c", "listen_addresses=127.0.0.1"])
            // Durability is not what these tests are about: a crash loses
            // a throwaway database.
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "max_connections=300"])
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(data.join("server.log"))
                    .map_err(|e| format!("server log: {e}"))?,
            ));
        let child = spawn_tied_to_this_process(server)?;
        let cluster = Cluster { port, bin, data };
        cluster.wait_ready(child)?;
        cluster.psql("postgres", &format!("CREATE DATABASE {DATABASE}"))?;
        Ok(cluster)
    }

    fn wait_ready(&self, mut child: Child) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(self.data.join("server.log")).unwrap_or_default();
                return Err(format!("postgres exited ({status}): {log}"));
            }
            if TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).is_ok()
                && self.psql("postgres", "SELECT 1").is_ok()
            {
                // The child is reaped by no one: it outlives every test and
                // ends with the process.
                std::mem::forget(child);
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "postgres not ready on port {} after 30 s",
                    self.port
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs one statement with `psql`, returning what it printed.
    fn psql(&self, database: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", ROLE, "-d", database, "-c", sql])
            .output()
            .map_err(|e| format!("running psql: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
        }
    }
}

/// The directory holding `initdb`, `postgres` and `psql`, installing
/// PostgreSQL if there is none.
fn binaries() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("OFFICINE_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = installed() {
        return Ok(dir);
    }
    if !is_root() {
        return Err(
            "PostgreSQL is not installed (Debian: `apt-get install postgresql`), \
                    or set OFFICINE_PG_BIN to its bin directory"
                .to_owned(),
        );
    }
    // A fresh machine: install it, refreshing the package lists if the
    // first attempt finds nothing to install. The package would create and
    // start a server of its own ("main", on port 5432); the tests need none.
    let conf = Path::new("/etc/postgresql-common/createcluster.conf");
    if !conf.exists() {
        let _ = std::fs::create_dir_all("/etc/postgresql-common");
        let _ = std::fs::write(conf, "create_main_cluster = false\n");
    }
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "-q", "postgresql"])
            .args(["-o", "Dpkg::Options::=--force-confdef"])
            .args(["-o", "Dpkg::Options::=--force-confold"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !install() {
        let _ = Command::new("apt-get").args(["update", "-q"]).status();
        if !install() {
            return Err("`apt-get install postgresql` failed".to_owned());
        }
    }
    installed().ok_or_else(|| "PostgreSQL installed, but no initdb found".to_owned())
}

/// The newest `/usr/lib/postgresql/<major>/bin` with a server in it.
fn installed() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("postgres").is_file().then_some((major, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Who runs the server: PostgreSQL refuses to run as root, so under root
/// it runs as the distribution's `postgres` user.
#[derive(Debug, Clone, Copy)]
struct Owner {
    ids: Option<(libc::uid_t, libc::gid_t)>,
}

impl Owner {
    fn for_server() -> Result<Owner, String> {
        if !is_root() {
            return Ok(Owner { ids: None });
        }
        let name = c"postgres";
        // SAFETY: `name` is a valid C string; the returned entry is read
        // at once, before any other call could reuse its storage.
        let entry = unsafe { libc::getpwnam(name.as_ptr()) };
        if entry.is_null() {
            return Err(
                "running as root, and there is no `postgres` user to run the server".into(),
            );
        }
        // SAFETY: checked non-null above.
        let (uid, gid) = unsafe { ((*entry).pw_uid, (*entry).pw_gid) };
        Ok(Owner {
            ids: Some((uid, gid)),
        })
    }

    fn own(&self, dir: &Path) -> Result<(), String> {
        if let Some((uid, gid)) = self.ids {
            std::os::unix::fs::chown(dir, Some(uid), Some(gid))
                .map_err(|e| format!("chown {}: {e}", dir.display()))?;
        }
        Ok(())
    }

    fn command(&self, program: PathBuf) -> Command {
        let mut command = Command::new(program);
        if let Some((uid, gid)) = self.ids {
            // Under root, std also drops the supplementary groups.
            command.uid(uid).gid(gid);
            command.env("HOME", "/tmp");
        }
        command
    }
}

/// Starts `command` so that the kernel signals it when this process ends.
///
/// The signal goes when the thread that forked the child exits, so the
/// child is forked from a thread that lives as long as the process.
fn spawn_tied_to_this_process(mut command: Command) -> Result<Child, String> {
    // SAFETY: the closure runs between fork and exec and calls only
    // async-signal-safe functions (prctl, getppid).
    let parent = std::process::id() as libc::pid_t;
    unsafe {
        command.pre_exec(move || {
            // Set after the user change, which clears it. SIGINT: a fast
            // shutdown, the server's clients disconnected.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before the prctl took effect.
            if libc::getppid() != parent {
                libc::_exit(0);
            }
            Ok(())
        });
    }
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("officine-test-postgres".to_owned())
        .spawn(move || {
            let _ = sender.send(command.spawn());
            // Parked for the life of the process: its exit is the signal.
            loop {
                std::thread::park();
            }
        })
        .map_err(|e| format!("spawning the server's thread: {e}"))?;
    receiver
        .recv()
        .map_err(|e| format!("the server's thread: {e}"))?
        .map_err(|e| format!("starting postgres: {e}"))
}

/// A port nothing listens on now.
fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| format!("finding a port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("finding a port: {e}"))
}

/// Removes the data directories of earlier runs whose process is gone.
fn remove_stale_directories() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(DIR_PREFIX))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_are_separate_and_the_server_answers() {
        let cluster = cluster();
        assert!(cluster.version().unwrap().starts_with(char::is_numeric));
        let (a, b) = (cluster.fresh_url(), cluster.fresh_url());
        assert_ne!(a, b);
        assert!(a.starts_with("postgres://officine@127.0.0.1:"), "{a}");
    }
}
