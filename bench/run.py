#!/usr/bin/env python3
"""bench/run.py — runs asyncload's benchmarks against its peers and writes the table.

scripts/bench.sh is the one command (it installs what is missing and builds the native-release
and web presets first); this is its engine (the browser case, `browser()`, has its own page and
server: see there):

  1. random payloads, generated once, in <work-dir>/www: 1 B, 1 KiB and 1 GiB;
  2. Debian's nginx on a free 127.0.0.1 port with its own config (1 worker process, keep-alive,
     sendfile, an access log for /resume/ only: the resume case reads it), stopped at the end whatever happens;
  3. each case runs its tools alternately (A B C A B C ...) --reps times; each run is a whole
     process, timed here, its peak RSS taken by GNU time; every program checks its own counts
     (status 200, byte sizes) and a run that miscounts stops the benchmark;
  4. medians, and ratios paired run by run against raw libcurl (or against `curl` where the
     target says so), printed and written as markdown (docs/benchmarks.md).

--smoke runs everything once at toy sizes (ctest uses it): the figures mean nothing then.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KIB, MIB, GIB = 1024, 1024 * 1024, 1024 * 1024 * 1024
TIME = "/usr/bin/time"  # GNU time (Debian package `time`): peak RSS of each run
VALGRIND = "/usr/bin/valgrind"  # Debian package `valgrind`: callgrind's instruction counts


# --- the server -----------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    WORKERS = 1  # nginx gets one core of two; the client the other

    def __init__(self, work, www):
        self.dir = work / "nginx"
        self.www = www
        self.proc = None
        self.port = None

    def config(self):
        d = self.dir
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read our private dirs
        temps = "".join(f"  {kind}_temp_path {d}/tmp/{kind};\n"
                        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        return (f"daemon off;\nworker_processes {self.WORKERS};\npid {d}/nginx.pid;\n"
                f"error_log {d}/error.log warn;\n{user}"
                "events { worker_connections 1024; }\n"
                "http {\n  access_log off;\n" + temps +
                # The resume case reads what nginx sent for each request (body bytes, Range asked)
                # from its own log; only /resume/ (the same files) is logged.
                "  log_format resume '$status $body_bytes_sent \"$http_range\" $request_uri';\n" +
                "  default_type application/octet-stream;\n"
                "  sendfile on;\n  keepalive_timeout 65;\n  keepalive_requests 1000000;\n"
                f"  server {{\n    listen 127.0.0.1:{self.port} backlog=1024;\n"
                f"    root {self.www};\n"
                f"    location /resume/ {{\n      alias {self.www}/;\n      access_log {d}/resume.log resume;\n    }}\n"
                "  }\n}\n")

    def start(self):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        (self.dir / "tmp").mkdir(parents=True, exist_ok=True)
        for _ in range(3):  # the free port can be taken before nginx binds it
            self.port = free_port()
            (self.dir / "nginx.conf").write_text(self.config())
            self.proc = subprocess.Popen([nginx, "-p", f"{self.dir}/", "-c", str(self.dir / "nginx.conf"),
                                          "-e", str(self.dir / "error.log")],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=open(self.dir / "stderr.log", "ab"))
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    return
                except OSError:
                    time.sleep(0.02)
            self.stop()
        sys.exit("nginx did not start: " + (self.dir / "stderr.log").read_text(errors="replace"))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # fast shutdown: master stops its worker
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def url(self, name):
        return f"http://127.0.0.1:{self.port}/{name}"

    def cpu_seconds(self):
        """CPU time nginx (master and workers) used so far."""
        if not self.proc:
            return 0.0
        pids = [self.proc.pid]
        try:
            pids += Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        except OSError:
            pass
        ticks = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
            except (OSError, IndexError):
                pass
        return ticks / os.sysconf("SC_CLK_TCK")


def make_payloads(www, sizes):
    """Random bytes, written once and reused while their size is right."""
    www.mkdir(parents=True, exist_ok=True)
    for name, size in sizes.items():
        path = www / name
        if path.exists() and path.stat().st_size == size:
            continue
        print(f"bench: generating {path} ({size} random bytes)", flush=True)
        with open(path, "wb") as f:
            left = size
            while left:
                chunk = min(left, 16 * MIB)
                f.write(os.urandom(chunk))
                left -= chunk


# --- running one program ----------------------------------------------------------------------

class Run:
    def __init__(self, seconds, rss_kib, cpu_s, result):
        self.seconds, self.rss_kib, self.cpu_s, self.result = seconds, rss_kib, cpu_s, result
        self.server_cpu_s = 0.0

    @property
    def rss_mib(self):
        return self.rss_kib / 1024


def run(command, log, check_output=None):
    """Runs one whole process; its wall time, peak RSS, CPU time and JSON result line.

    Peak RSS and CPU time (user + system) come from GNU time (`%M %U %S`, from wait4). Not from our own wait4: Linux carries
    the parent's high-water mark across fork + exec, so a child of this Python process would
    never show less than Python's own ~20 MiB; GNU time's is ~2 MiB.
    """
    rss_file = Path(log).with_suffix(".rss")
    with open(log, "ab") as err:
        err.write(("\n$ " + " ".join(map(str, command)) + "\n").encode())
        err.flush()
        start = time.perf_counter()
        proc = subprocess.run([TIME, "-f", "%M %U %S", "-o", str(rss_file), *map(str, command)],
                              stdout=subprocess.PIPE, stderr=err)
        seconds = time.perf_counter() - start
    rss, user, system = rss_file.read_text().split()[-3:]
    text = proc.stdout.decode(errors="replace")
    if proc.returncode != 0:
        sys.exit(f"bench: {' '.join(map(str, command))} failed ({proc.returncode}):\n{text}\n(see {log})")
    result = {}
    lines = [line for line in text.splitlines() if line.startswith("{")]
    if lines:
        result = json.loads(lines[-1])
    if check_output:
        problem = check_output(text)
        if problem:
            sys.exit(f"bench: {' '.join(map(str, command))}: {problem}")
    return Run(seconds, int(rss), float(user) + float(system), result)


def alternate(tools, reps, log, after_each=None, server=None):
    """tools: [(name, command, check)]. Runs A B C A B C ...; returns {name: [Run]}."""
    runs = {name: [] for name, _, _ in tools}
    for rep in range(reps):
        for name, command, check in tools:
            server_before = server.cpu_seconds() if server else 0.0
            r = run(command, log, check)
            r.server_cpu_s = (server.cpu_seconds() if server else 0.0) - server_before
            runs[name].append(r)
            if after_each:
                after_each()
            print(f"  rep {rep + 1}/{reps}  {name:<44} {r.seconds:8.3f} s  {r.rss_mib:8.1f} MiB", flush=True)
    return runs


def med(values):
    return statistics.median(values) if values else float("nan")


def paired(runs_a, runs_b, value):
    """Median over repetitions of value(a_i) / value(b_i): a's figure relative to b's."""
    return med([value(a) / value(b) for a, b in zip(runs_a, runs_b)])


# --- the cases --------------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.smoke = args.smoke
        self.reps = 1 if args.smoke else args.reps
        self.build = Path(args.build_dir).resolve()
        self.work = Path(args.work_dir).resolve()
        self.out_dir = self.work / "out"
        self.log = self.work / "bench.log"
        self.node = shutil.which("node")
        # The peer's label names the Node that ran (Debian 12's nodejs is 18; other sources differ).
        self.node_name = "Node"
        if self.node:
            version = subprocess.run([self.node, "--version"], capture_output=True, text=True).stdout.strip()
            self.node_name = "Node " + version.lstrip("v").split(".")[0] if version else "Node"
        self.curl = shutil.which("curl")
        self.small_count = 200 if self.smoke else 10000
        self.big_size = 4 * MIB if self.smoke else GIB
        self.latency_count = 20 if self.smoke else 1000
        self.stall_small = 60 if self.smoke else 1000
        self.sections = []   # markdown, in order
        self.summary = []    # (case, target, measured, verdict)

    def exe(self, name):
        path = self.build / "bench" / name
        if not path.exists():
            sys.exit(f"bench: {path} is missing: build the native-release preset first (scripts/bench.sh does)")
        return path

    def cleanup_outputs(self):
        for f in self.out_dir.glob("*"):
            f.unlink()
        os.sync()  # the next run starts without the last one's dirty pages being written back

    def missing(self, tool):
        return f"| {tool} | not installed: skipped | | |"

    # many small -------------------------------------------------------------------------------
    def small(self, nginx):
        n, url = self.small_count, nginx.url("1k.bin")
        common = ["--url", url, "--count", n, "--in-flight", 64, "--expect-bytes", 1024]
        tools = [
            ("raw libcurl multi", [self.exe("libcurl_bench"), "--case", "small", *common], None),
            ("raw libcurl multi + 1 thread spinning", [self.exe("libcurl_bench"), "--case", "small", *common, "--spinner"], None),
            ("raw libcurl multi, asyncload's curl options", [self.exe("libcurl_bench"), "--case", "small", *common, "--options", "asyncload"], None),
            ("asyncload, unthrottled loop", [self.exe("asyncload_bench"), "--case", "small", *common, "--fps", 0, "--loop", "spin"], None),
            ("asyncload, 60 fps loop", [self.exe("asyncload_bench"), "--case", "small", *common, "--fps", 60], None),
            ("asyncload, headless loop (Http::wait)", [self.exe("asyncload_bench"), "--case", "small", *common, "--fps", 0, "--loop", "wait"], None),
        ]
        skipped = []
        if self.curl:
            config = self.work / "curl-small.cfg"
            config.write_text(f'url = "{url}"\noutput = "/dev/null"\n' * n)

            def check(text):
                good = sum(1 for line in text.splitlines() if line.strip() == "200 1024")
                return None if good == n else f"{good} of {n} transfers answered 200 with 1024 bytes"
            tools.append((f"curl -Z --parallel-max 64 (config file)",
                          [self.curl, "-s", "-Z", "--parallel-max", 64, "-K", config, "-w", "%{http_code} %{size_download}\\n"], check))
        else:
            skipped.append("curl")
        if self.node:
            tools.append((f"{self.node_name} fetch", [self.node, ROOT / "bench/node_fetch.mjs", "--case", "small", *common], None))
        else:
            skipped.append("Node fetch")
        print(f"bench: many small — {n} GETs of 1 KiB, 64 in flight", flush=True)
        runs = alternate(tools, self.reps, self.log, server=nginx)
        base = runs["raw libcurl multi"]
        cores = os.cpu_count()
        rows = []
        for name, _, _ in tools:
            rs = runs[name]
            game = (f"{med([r.result['main_thread_cpu_s'] / n * 1e6 for r in rs]):.1f} µs"
                    if name.startswith("asyncload") else "")
            rows.append(f"| {name} | {med([n / r.seconds for r in rs]):,.0f} | {med([r.rss_mib for r in rs]):.0f} MiB"
                        f" | {med([r.cpu_s / n * 1e6 for r in rs]):.0f} µs | {game}"
                        f" | {med([r.server_cpu_s / n * 1e6 for r in rs]):.0f} µs"
                        f" | {med([(r.cpu_s + r.server_cpu_s) / r.seconds / cores * 100 for r in rs]):.0f} %"
                        f" | {paired(base, rs, lambda r: r.seconds):.2f}× |")
        rows += [self.missing(t) for t in skipped]
        self.sections.append((f"Many small: {n:,} GETs of 1 KiB, 64 in flight",
                              "| tool | requests/s | peak RSS | client CPU per request | of which the game thread "
                              "| nginx CPU per request | both cores busy | throughput × raw libcurl |\n"
                              "|---|---|---|---|---|---|---|---|\n" + "\n".join(rows),
                              "Unthrottled: `dispatch()` back to back, no sleep (a game with no frame cap). 60 fps: "
                              "dispatch, then sleep to the next 16.7 ms tick. Headless: `Http::wait()` between frames. "
                              "asyncload issues all requests at frame 0 with `Options::max_connections = 64`; "
                              "raw libcurl keeps 64 easy handles busy; curl gets a config file with one `url` per request. "
                              "CPU: user + system time of the client process (GNU time) and of nginx (/proc), per request; "
                              "the game thread's share (`getrusage(RUSAGE_THREAD)`) is every `http_get` and `dispatch()` "
                              "and, unthrottled, the spinning itself; "
                              "\"both cores busy\" is their sum over the wall time of the run and the machine's cores. "
                              "\"+ 1 thread spinning\" runs one more thread that never sleeps, as an unthrottled game "
                              "loop's thread does; \"asyncload's curl options\" sets what asyncload's backend sets on "
                              "every transfer (user agent, all content codings, cookie engine, protocol limits, redirects, "
                              "timeouts)."))
        a = runs["asyncload, unthrottled loop"]
        loops = {"60 fps": runs["asyncload, 60 fps loop"], "headless": runs["asyncload, headless loop (Http::wait)"]}
        ratio = paired(base, a, lambda r: r.seconds)
        others = ", ".join(f"{k} {paired(base, v, lambda r: r.seconds):.2f}×" for k, v in loops.items())
        self.summary.append(("many small", "≥ 0.9× raw libcurl req/s (unthrottled)", f"{ratio:.2f}× ({others})", ratio >= 0.9))
        for peer, label in ((f"{self.node_name} fetch", "Node fetch"), ("curl -Z --parallel-max 64 (config file)", "the curl command")):
            if peer in runs:
                r = paired(runs[peer], a, lambda x: x.seconds)
                others = ", ".join(f"{k} {paired(runs[peer], v, lambda x: x.seconds):.1f}×" for k, v in loops.items())
                self.summary.append(("many small", f"faster than {label}", f"{r:.1f}× its req/s ({others})", r > 1))
        for name, what in (("raw libcurl multi + 1 thread spinning", "what one never-sleeping thread leaves raw libcurl"),
                           ("raw libcurl multi, asyncload's curl options", "what asyncload's curl options leave raw libcurl")):
            r = paired(base, runs[name], lambda x: x.seconds)
            self.summary.append(("many small", f"(bound) {what}", f"{r:.2f}× raw libcurl", None))

    # instructions per request -----------------------------------------------------------------
    def instructions(self, nginx):
        """Instructions per request under callgrind, whole process (every thread, libcurl and libc
        included): each tool runs n_low and n_high GETs of 1 KiB, and the difference over the extra
        requests leaves out start-up and shutdown. Exact on a shared machine, unlike the times."""
        low, high = (20, 60) if self.smoke else (1000, 4000)
        url = nginx.url("1k.bin")
        tools = [
            ("raw libcurl multi", [self.exe("libcurl_bench"), "--case", "small"]),
            ("raw libcurl multi, asyncload's curl options", [self.exe("libcurl_bench"), "--case", "small", "--options", "asyncload"]),
            ("asyncload, headless loop (Http::wait)", [self.exe("asyncload_bench"), "--case", "small", "--fps", 0, "--loop", "wait"]),
        ]
        print(f"bench: instructions per request — callgrind, {low} and {high} GETs of 1 KiB, 64 in flight", flush=True)
        per_request = {}
        for name, command in tools:
            counts = []
            for n in (low, high):
                out = self.out_dir / "callgrind.out"
                run([VALGRIND, "--tool=callgrind", f"--callgrind-out-file={out}", *command,
                     "--url", url, "--count", n, "--in-flight", 64, "--expect-bytes", 1024], self.log)
                counts.append(next(int(line.split()[1]) for line in out.read_text().splitlines() if line.startswith("totals:")))
            per_request[name] = (counts[1] - counts[0]) / (high - low)
            print(f"  {name:<48} {per_request[name]:10,.0f} instructions per request", flush=True)
        base = per_request["raw libcurl multi"]
        rows = [f"| {name} | {value:,.0f} | {value / base:.2f}× |" for name, value in per_request.items()]
        self.sections.append(("Instructions per request: callgrind, GETs of 1 KiB, 64 in flight",
                              "| tool | instructions per request | × raw libcurl |\n|---|---|---|\n" + "\n".join(rows),
                              f"Each tool ran {low} and then {high} GETs under `valgrind --tool=callgrind`; the figure is "
                              f"the difference between the two runs' totals over the {high - low} extra requests, for the "
                              "whole process (every thread; libcurl, OpenSSL and libc included), so start-up and "
                              "shutdown cancel out. Instruction counts do not depend on the machine's load; they do not "
                              "count time spent waiting or in the kernel. Where asyncload's share goes: "
                              "\"What bounds many small\" below."))
        raw, with_options, ours = per_request.values()  # in the order of `tools`
        self.summary.append(("many small", "instructions per request (callgrind, whole process) ≤ 1.25× raw libcurl's",
                             f"{ours / raw:.2f}× ({ours:,.0f} against {raw:,.0f})", ours / raw <= 1.25))
        bound = with_options / raw
        self.summary.append(("many small", "(bound) instructions per request of raw libcurl with asyncload's curl options",
                             f"{bound:.2f}× raw libcurl", None))

    # big file ---------------------------------------------------------------------------------
    def big_file(self, nginx):
        size, url = self.big_size, nginx.url("big.bin")
        out = self.out_dir / "big.bin"
        tools = [
            ("raw libcurl, 100 KiB receive buffer", [self.exe("libcurl_bench"), "--case", "file", "--url", url, "--out", out, "--expect-bytes", size], None),
            ("raw libcurl, 16 KiB receive buffer (default)", [self.exe("libcurl_bench"), "--case", "file", "--url", url, "--out", out, "--expect-bytes", size, "--buffer-size", 16384], None),
            ("asyncload http_get_file", [self.exe("asyncload_bench"), "--case", "file", "--url", url, "--out", out, "--expect-bytes", size], None),
        ]
        skipped = []
        if self.curl:
            def check(_):
                got = out.stat().st_size if out.exists() else -1
                return None if got == size else f"wrote {got} bytes, not {size}"
            tools.append(("curl -o file", [self.curl, "-s", "-f", "-o", out, url], check))
        else:
            skipped.append("curl")
        if self.node:
            tools.append((f"{self.node_name} fetch piped to a file", [self.node, ROOT / "bench/node_fetch.mjs", "--case", "file", "--url", url, "--out", out, "--expect-bytes", size], None))
        else:
            skipped.append("Node fetch")
        print(f"bench: big file — {size / MIB:.0f} MiB to a file", flush=True)
        runs = alternate(tools, self.reps, self.log, self.cleanup_outputs)
        base = runs["raw libcurl, 100 KiB receive buffer"]
        rows = []
        for name, _, _ in tools:
            rs = runs[name]
            rows.append(f"| {name} | {med([size / r.seconds / 1e6 for r in rs]):,.0f} MB/s | {med([r.rss_mib for r in rs]):.1f} MiB"
                        f" | {paired(base, rs, lambda r: r.seconds):.2f}× |")
        rows += [self.missing(t) for t in skipped]
        self.sections.append((f"Big file: {size / MIB:,.0f} MiB `http_get_file`",
                              "| tool | throughput | peak RSS | throughput × raw libcurl (100 KiB) |\n|---|---|---|---|\n" + "\n".join(rows),
                              "The output file is deleted and `sync` runs after every run, outside the timing."))
        a = runs["asyncload http_get_file"]
        if "curl -o file" in runs:
            r = paired(runs["curl -o file"], a, lambda x: x.seconds)
            self.summary.append(("big file", "≥ 0.95× `curl -o` throughput", f"{r:.2f}×", r >= 0.95))
        rss = max(r.rss_mib for r in a)
        self.summary.append(("big file", "peak RSS ≤ 32 MiB", f"{rss:.1f} MiB (worst run)", rss <= 32))

    # resume -----------------------------------------------------------------------------------
    def resume(self, nginx):
        """A 1 GiB http_get_file with resume, cancelled past 50 %, then continued by a second run.

        Per repetition, alternating the order: asyncload's first run (`--resume 1 --cancel-at
        0.5`: http_cancel at the first progress event past half, which keeps the partial), then
        its second run (`--resume 1`, timed); and `curl -C - -o` continuing a prefix of the
        same size (copied from the payload, outside the timing). The bytes each continuation
        fetched are nginx's own count ($body_bytes_sent of /resume/ in its log, summed over that
        run's requests), and the file is compared with the payload byte for byte (cmp)."""
        size, url = self.big_size, nginx.url("resume/big.bin")
        source = nginx.www / "big.bin"
        out = self.out_dir / "resume.bin"
        log_path = nginx.dir / "resume.log"
        al = self.exe("asyncload_bench")
        common = ["--case", "file", "--url", url, "--out", out, "--expect-bytes", size, "--resume", 1]

        def served(since):
            """nginx's lines for /resume/ after offset `since`: [(status, body bytes, range)]."""
            with open(log_path, "rb") as f:
                f.seek(since)
                lines = f.read().decode(errors="replace").splitlines()
            rows = []
            for line in lines:
                status, sent, rest = line.split(" ", 2)
                rows.append((int(status), int(sent), rest.split('"')[1]))
            return rows

        def identical():
            same = subprocess.run(["cmp", "-s", str(out), str(source)]).returncode == 0
            if not same:
                sys.exit(f"bench: resume: {out} differs from {source}")
            return same

        def partials():
            return [f for f in self.out_dir.iterdir() if f.name.startswith(".asyncload-") and f.name.endswith(".partial")]

        def asyncload_rep():
            cut = run([al, *common, "--cancel-at", 0.5], self.log)
            kept = partials()
            if not cut.result.get("cancelled") or len(kept) != 1:
                if not self.smoke:  # at toy sizes the body may end before a progress event passes half
                    sys.exit(f"bench: resume: the first run was not cancelled with a partial kept ({cut.result}, {kept})")
            partial = kept[0].stat().st_size if kept else 0
            since = log_path.stat().st_size
            r = run([al, *common], self.log)
            r.served = served(since)
            r.partial = partial
            r.resumed_at = r.result.get("first_progress_bytes", -1)
            return r

        def curl_rep(partial):
            with open(source, "rb") as src, open(out, "wb") as dst:  # the same prefix asyncload kept
                left = partial
                while left:
                    chunk = src.read(min(left, 16 * MIB))
                    dst.write(chunk)
                    left -= len(chunk)
            os.sync()
            since = log_path.stat().st_size
            r = run([self.curl, "-s", "-f", "-C", "-", "-o", out, url], self.log)
            r.served = served(since)
            r.partial = partial
            return r

        print(f"bench: resume — {size / MIB:,.0f} MiB http_get_file cancelled past 50 %, then resumed", flush=True)
        runs = {"asyncload": [], "curl": []}
        for rep in range(self.reps):
            order = ["asyncload", "curl"] if rep % 2 == 0 else ["curl", "asyncload"]
            last_partial = runs["asyncload"][-1].partial if runs["asyncload"] else size // 2
            for tool in order:
                self.cleanup_outputs()
                if tool == "asyncload":
                    r = asyncload_rep()
                elif self.curl:
                    r = curl_rep(last_partial)
                else:
                    continue
                identical()
                runs[tool].append(r)
                fetched = sum(sent for _, sent, _ in r.served)
                print(f"  rep {rep + 1}/{self.reps}  {tool:<10} kept {r.partial / MIB:8.1f} MiB, fetched {fetched / MIB:8.1f} MiB"
                      f" in {r.seconds:6.2f} s, {r.rss_mib:6.1f} MiB RSS; requests {[(st, rg) for st, _, rg in r.served]}", flush=True)
            self.cleanup_outputs()

        def fetched(r):
            return sum(sent for _, sent, _ in r.served)

        a = runs["asyncload"]
        rows = [f"| asyncload `http_get_file`, `RequestOptions{{.resume = true}}` | {med([r.partial / MIB for r in a]):,.1f} MiB"
                f" | {med([fetched(r) / MIB for r in a]):,.1f} MiB | {a[-1].served[0][2] if a[-1].served else ''} ({a[-1].served[0][0] if a[-1].served else ''})"
                f" | {med([r.seconds for r in a]):.2f} s | {med([r.rss_mib for r in a]):.1f} MiB | yes |"]
        if runs["curl"]:
            c = runs["curl"]
            rows.append(f"| curl -C - -o file (the same prefix) | {med([r.partial / MIB for r in c]):,.1f} MiB"
                        f" | {med([fetched(r) / MIB for r in c]):,.1f} MiB | {c[-1].served[0][2] if c[-1].served else ''} ({c[-1].served[0][0] if c[-1].served else ''})"
                        f" | {med([r.seconds for r in c]):.2f} s | {med([r.rss_mib for r in c]):.1f} MiB | yes |")
        else:
            rows.append(self.missing("curl"))
        self.sections.append((f"Resume: {size / MIB:,.0f} MiB `http_get_file` cancelled past 50 %, then resumed",
                              "| tool | partial kept by the first run | bytes nginx sent the second run | its request (status) "
                              "| second run's time | its peak RSS | file byte-identical (cmp) |\n"
                              "|---|---|---|---|---|---|---|\n" + "\n".join(rows),
                              "asyncload's first run calls `http_cancel` at the first progress event past 50 % of "
                              "`contentLength` and exits after its -3 event (the partial file and its record stay beside "
                              "the target); a second process makes the same call with `resume`, which sends "
                              "`Range: bytes=<partial>-` with `If-Range`. The partial holds what the I/O thread had written "
                              "when the cancel took effect, so a little over half. \"Bytes sent\" is nginx's own "
                              "`$body_bytes_sent`, from an access log kept for `/resume/` only (the same file, aliased), "
                              "summed over the second run's requests. asyncload's own figure for where it resumed: its first progress "
                              f"event of the second run reported `sizeDownloaded` {med([r.resumed_at / MIB for r in a]):,.1f} MiB "
                              "(the bytes already there). curl resumes a prefix of the same length, copied from the payload "
                              "outside the timing. Each repetition alternates the order; every file is compared "
                              "with the payload by `cmp` (a difference stops the benchmark). Medians over repetitions."))
        worst = max(fetched(r) for r in a)
        ok = worst <= 0.51 * size
        self.summary.append(("resume", f"bytes fetched after a cut at 50 % ≤ 0.51 × {size / MIB:,.0f} MiB, file byte-identical",
                             f"{worst / MIB:,.1f} MiB (worst run, nginx's count; {worst / size:.3f} of the file); identical in "
                             f"{len(a)} of {len(a)} runs", ok))

    # big body ---------------------------------------------------------------------------------
    def big_body(self, nginx):
        size, url = self.big_size, nginx.url("big.bin")
        tools = [
            ("raw libcurl, one buffer sized by Content-Length", [self.exe("libcurl_bench"), "--case", "body", "--url", url, "--expect-bytes", size], None),
            ("asyncload http_get", [self.exe("asyncload_bench"), "--case", "body", "--url", url, "--expect-bytes", size], None),
        ]
        if self.node:
            tools.append((f"{self.node_name} fetch arrayBuffer()", [self.node, ROOT / "bench/node_fetch.mjs", "--case", "body", "--url", url, "--expect-bytes", size], None))
        print(f"bench: big body — {size / MIB:.0f} MiB into memory", flush=True)
        runs = alternate(tools, self.reps, self.log)
        base = runs[tools[0][0]]
        limit = 1.15 * size / MIB + 32
        rows = []
        for name, _, _ in tools:
            rs = runs[name]
            rows.append(f"| {name} | {med([size / r.seconds / 1e6 for r in rs]):,.0f} MB/s | {med([r.rss_mib for r in rs]):,.0f} MiB"
                        f" | {med([r.rss_mib * MIB / size for r in rs]):.2f} | {paired(base, rs, lambda r: r.seconds):.2f}× |")
        if not self.node:
            rows.append(self.missing("Node fetch"))
        rows.append("| curl command | n/a: it has no in-memory mode | | | |")
        self.sections.append((f"Big body: {size / MIB:,.0f} MiB `http_get` into memory",
                              "| tool | throughput | peak RSS | RSS ÷ body | throughput × raw libcurl |\n|---|---|---|---|---|\n" + "\n".join(rows),
                              f"Target for asyncload: peak RSS ≤ 1.15 × body + 32 MiB = {limit:,.0f} MiB."))
        rss = max(r.rss_mib for r in runs["asyncload http_get"])
        self.summary.append(("big body", f"peak RSS ≤ 1.15 × body + 32 MiB ({limit:,.0f} MiB)", f"{rss:,.0f} MiB (worst run)", rss <= limit))
        r = paired(base, runs["asyncload http_get"], lambda x: x.seconds)
        self.summary.append(("big body", "(throughput: no target)", f"{r:.2f}× raw libcurl", None))

    # dispatch cost ----------------------------------------------------------------------------
    def dispatch(self, nginx):
        print("bench: dispatch cost (Google Benchmark)", flush=True)
        report = self.work / "dispatch.json"
        command = [self.exe("dispatch_bench"), f"--benchmark_out={report}", "--benchmark_out_format=json",
                   f"--url={nginx.url('1k.bin')}"]
        if self.smoke:
            command.append("--smoke")
        else:
            command += [f"--benchmark_repetitions={self.reps}", "--benchmark_report_aggregates_only=true"]
        run(command, self.log)
        data = json.loads(report.read_text())
        figures = {}
        for b in data["benchmarks"]:
            if b.get("aggregate_name", "median") != "median":
                continue
            name = b.get("run_name", b["name"])
            figures[name] = b
        def ns(name):
            b = figures[name]
            scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
            return b["real_time"] * scale
        rows = []
        idle = {}
        for name, label in (("nothing_ready/in_flight:0", "nothing ready, nothing in flight"),
                            ("nothing_ready/in_flight:10000", "nothing ready, 10,000 in flight (scripted backend)"),
                            ("nothing_ready_curl/in_flight:10000/real_time", "nothing ready, 10,000 in flight (libcurl backend, I/O thread live)")):
            idle[label] = ns(name)
            rows.append(f"| {label} | {ns(name):.1f} ns per `dispatch()` |")
        per_event = {}
        for name, label in (("ready/finals/events:1000", "1,000 final events ready (scripted backend: 200, 1 KiB, 6 headers)"),
                            ("ready/with_progress/events:1000", "1,000 requests ready with progress + final (scripted, 2,000 events)"),
                            ("ready_curl/events:1000", "1,000 final events ready (libcurl backend: 1 KiB GETs to nginx, all finished)")):
            per_event[label] = 1e9 / figures[name]["items_per_second"]
            rows.append(f"| {label} | {per_event[label]:.0f} ns per delivered event |")
        self.sections.append(("Dispatch cost (Google Benchmark, median of repetitions)",
                              "| what | cost |\n|---|---|\n" + "\n".join(rows),
                              "The handler is empty, so the figures are the delivery itself: taking the events, building "
                              "each `async_load` map, calling the handler, freeing it all (CPU time). In flight on the "
                              "libcurl backend: requests to a loopback socket that accepts connections but never answers. "
                              "On the libcurl backend the events were made on the I/O thread, so what the game thread "
                              "reads of them (the queue entries, the sinks, the body's length in the handler's check) is "
                              "cold in this core's cache, which the scripted figures (made on the same thread) leave out; "
                              "the bodies and header objects go back to the I/O thread to be freed (`Backend::release`), "
                              "the scripted backend frees them in place."))
        worst_idle = max(idle.values())
        self.summary.append(("dispatch cost", "nothing ready ≤ 100 ns whatever is in flight", f"≤ {worst_idle:.1f} ns", worst_idle <= 100))
        scripted = max(v for k, v in per_event.items() if "scripted" in k)
        real = per_event["1,000 final events ready (libcurl backend: 1 KiB GETs to nginx, all finished)"]
        self.summary.append(("dispatch cost", "≤ 1 µs per delivered event — scripted backend", f"≤ {scripted:.0f} ns", scripted <= 1000))
        self.summary.append(("dispatch cost", "≤ 1 µs per delivered event — libcurl backend", f"{real:.0f} ns", real <= 1000))

    # latency ----------------------------------------------------------------------------------
    def latency(self, nginx):
        n, url = self.latency_count, nginx.url("1b.bin")
        common = ["--case", "latency", "--url", url, "--count", n, "--expect-bytes", 1]
        tools = [
            ("raw libcurl multi (add handle → done)", [self.exe("libcurl_bench"), *common], None),
            ("asyncload, 1000 fps loop (call → handler)", [self.exe("asyncload_bench"), *common, "--fps", 1000], None),
            ("asyncload, headless loop (Http::wait)", [self.exe("asyncload_bench"), *common, "--fps", 0], None),
        ]
        print(f"bench: latency — {n} sequential 1-byte GETs", flush=True)
        runs = alternate(tools, self.reps, self.log)
        base = runs[tools[0][0]]
        rows = []
        for name, _, _ in tools:
            rs = runs[name]
            extra = med([a.result["median_us"] - b.result["median_us"] for a, b in zip(rs, base)])
            rows.append(f"| {name} | {med([r.result['median_us'] for r in rs]):.0f} µs | {med([r.result['p99_us'] for r in rs]):.0f} µs"
                        f" | {'' if rs is base else f'+{extra:.0f} µs'} |")
        self.sections.append((f"Latency: {n:,} sequential 1-byte GETs on a warm connection",
                              "| tool | median | p99 | median − raw libcurl's |\n|---|---|---|---|\n" + "\n".join(rows),
                              "From the call to the handler (asyncload) or from adding the handle to curl reporting it done "
                              "(raw libcurl), so the difference is what asyncload adds between curl finishing and the handler "
                              "running. At 1000 fps the game calls `http_get` at a random point of its frame (after its "
                              "update), so a response lands at a random phase and waits on average half a frame (500 µs) "
                              "for the next `dispatch()`."))
        a = runs[tools[1][0]]
        extra = med([x.result["median_us"] - y.result["median_us"] for x, y in zip(a, base)])
        self.summary.append(("latency", "median within 1 ms of raw libcurl's completion (1000 fps loop)", f"+{extra:.0f} µs", extra <= 1000))
        h = runs[tools[2][0]]
        extra_h = med([x.result["median_us"] - y.result["median_us"] for x, y in zip(h, base)])
        self.summary.append(("latency", "(headless loop: no target)", f"+{extra_h:.0f} µs", None))

    # frame stalls -----------------------------------------------------------------------------
    def stalls(self, nginx):
        size = self.big_size
        common = ["--case", "stalls", "--url", nginx.url("big.bin"), "--expect-bytes", size, "--small-url", nginx.url("1k.bin"),
                  "--small-bytes", 1024, "--small-count", self.stall_small, "--small-per-frame", 20, "--fps", 60]
        replaced = self.out_dir / "stalls-replaced.bin"
        tools = [
            (f"asyncload, {size / MIB:,.0f} MiB http_get_file", [self.exe("asyncload_bench"), *common, "--out", self.out_dir / "stalls.bin"], None),
            (f"asyncload, {size / MIB:,.0f} MiB http_get_file over an existing file of that size",
             [self.exe("asyncload_bench"), *common, "--out", replaced], None),
            (f"asyncload, {size / MIB:,.0f} MiB http_get (into memory)", [self.exe("asyncload_bench"), *common], None),
        ]

        def fresh_outputs():  # every run starts with the file to be replaced on disk, written back
            self.cleanup_outputs()
            shutil.copyfile(nginx.www / "big.bin", replaced)
            os.sync()

        print(f"bench: frame stalls — 60 fps while {size / MIB:.0f} MiB and {self.stall_small} small GETs run", flush=True)
        fresh_outputs()
        runs = alternate(tools, self.reps, self.log, fresh_outputs)
        rows = []
        for name, _, _ in tools:
            rs = runs[name]
            worst = max(rs, key=lambda r: r.result["max_us"]).result
            rows.append(f"| {name} | {med([r.result['frames'] for r in rs]):.0f} | {med([r.result['p50_us'] for r in rs]):.0f} µs"
                        f" | {med([r.result['p99_us'] for r in rs]):.0f} µs | {worst['max_us']:,.0f} µs"
                        f" | {max(r.result['max_after_frame0_us'] for r in rs):,.0f} µs"
                        f" | {max(r.result['clean_max_us'] for r in rs):,.0f} µs"
                        f" | {sum(r.result['frames_over_1ms'] for r in rs)} ({sum(r.result['frames_over_1ms_switched'] for r in rs)})"
                        f" | frame {worst['slowest_frame']}: {worst['slowest_events']} events, "
                        f"{worst['slowest_blocked']} blocked / {worst['slowest_preempted']} preempted |")
        self.sections.append((f"Frame stalls: a 60 fps loop while {size / MIB:,.0f} MiB and {self.stall_small:,} small GETs run",
                              "| download | frames (median) | p50 | p99 (median of runs) | max | max after frame 0 "
                              "| max of clean frames | frames over 1 ms (of which switched out) | the slowest frame |\n"
                              "|---|---|---|---|---|---|---|---|---|\n" + "\n".join(rows),
                              "Per frame: the wall time spent in `http_*` calls and `dispatch()`, the handler's own time "
                              "subtracted; max and counts over every run. The game issues 20 small GETs per frame until "
                              "1,000 are out, and the big download at frame 0. A frame is \"switched out\" when the game "
                              "thread had a context switch during it (`getrusage(RUSAGE_THREAD)`): involuntary = the "
                              "scheduler preempted it for another thread (this machine's 2 cores are shared by the game "
                              "thread, the I/O thread, nginx and other work), voluntary = it blocked (a lock, a page "
                              "fault waiting on I/O). \"Clean\" frames ran through without a switch: their time is "
                              "asyncload's work alone. Frame 0 makes the process's first `http_*` calls, whose code is "
                              "paged in then: a one-time cost of up to ~1 ms here (~85,000 instructions, the rest "
                              "first-touch page faults, slow in this VM). \"Over an existing file\": the target already holds a "
                              "file of the same size, written back to disk, as when a game downloads an update over its "
                              "previous version."))
        self.own_work_per_frame(tools, fresh_outputs)
        for name, _, _ in tools:
            rs = runs[name]
            worst = max(r.result["max_us"] for r in rs)
            p99 = med([r.result["p99_us"] for r in rs])
            clean = max(r.result["clean_max_us"] for r in rs)
            over = sum(r.result["frames_over_1ms"] for r in rs)
            switched = sum(r.result["frames_over_1ms_switched"] for r in rs)
            self.summary.append(("frame stalls", f"no frame's work over 1 ms — {name.split(', ')[1]}",
                                 f"p99 {p99:.0f} µs, max {worst:,.0f} µs; {over} frames over 1 ms, {switched} of them "
                                 f"switched out; clean frames max {clean:,.0f} µs", worst <= 1000))

    def own_work_per_frame(self, tools, fresh_outputs):
        """Each stall case once more under callgrind: the game thread's instructions inside http_*
        and dispatch() in every frame (asyncload_bench toggles collection around them and dumps a
        count per frame), which no other thread, interrupt or hypervisor can inflate."""
        print("bench: frame stalls — asyncload's own work per frame (callgrind)", flush=True)
        rows = []
        for name, command, _ in tools:
            frames_dir = self.work / "frames-callgrind"
            shutil.rmtree(frames_dir, ignore_errors=True)
            frames_dir.mkdir()
            frames_csv = frames_dir / "frames.csv"
            fresh_outputs()
            run([VALGRIND, "--tool=callgrind", "--collect-atstart=no", "--dump-instr=no",
                 f"--callgrind-out-file={frames_dir}/cg", *command, "--frames-out", frames_csv], self.log)
            events = [int(line.split(",")[1]) for line in frames_csv.read_text().splitlines()[1:]]
            counts = []  # dump k (from 1) is frame k - 1
            for k in range(1, len(events) + 1):
                text = (frames_dir / f"cg.{k}").read_text()
                counts.append(next(int(line.split()[1]) for line in text.splitlines()
                                   if line.startswith(("totals:", "summary:"))))
            heaviest = max(range(len(counts)), key=counts.__getitem__)
            after0 = max(counts[1:]) if len(counts) > 1 else 0
            rows.append((name, len(counts), statistics.median(counts), max(counts), heaviest, events[heaviest], after0))
            print(f"  {name:<48} {max(counts):10,} instructions in its heaviest frame ({events[heaviest]} events)", flush=True)
            shutil.rmtree(frames_dir)
        self.sections.append(("Frame stalls: asyncload's own work per frame (callgrind)",
                              "| download | frames | median | heaviest frame | its events | heaviest after frame 0 "
                              "| heaviest at 1 instruction per ns |\n|---|---|---|---|---|---|---|\n" +
                              "\n".join(f"| {name} | {n} | {m:,.0f} | {top:,} (frame {f}) | {ev} | {after0:,} | {top / 1000:,.0f} µs |"
                                        for name, n, m, top, f, ev, after0 in rows),
                              "The same three runs once each under `valgrind --tool=callgrind`, counting instructions of the "
                              "game thread between the first `http_*` call of a frame and the end of its `dispatch()`, the "
                              "handler left out (the same span as the wall times above): what asyncload itself does in a "
                              "frame, which time taken by other threads, interrupts or the hypervisor cannot inflate. "
                              "Under callgrind the threads run one at a time and far slower, so a frame gathers more "
                              "events than it does natively (see the column), which makes these frames heavier than the "
                              "native ones. The last column converts at 1 instruction per ns, a third of the rate this "
                              "CPU runs asyncload's code at (the many-small rows: instructions per request against client "
                              "CPU per request, about 3 per ns). Instruction counts leave out page faults and cache misses: "
                              "frame 0's first-touch faults are in the wall times above only."))
        for name, n, m, top, f, ev, after0 in rows:
            self.summary.append(("frame stalls", f"asyncload's own work per frame ≤ 1 ms — {name.split(', ')[1]} (callgrind)",
                                 f"heaviest frame {top:,} instructions ({ev} events) = {top / 1000:,.0f} µs at 1 instruction per ns",
                                 top <= 1_000_000))

    # browser ----------------------------------------------------------------------------------
    @staticmethod
    def renderers(root):
        """Chromium's renderer processes under process `root` (web_runner): their pids."""
        children = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(stat.parent.name))
        found, todo = [], [root]
        while todo:
            pid = todo.pop()
            for child in children.get(pid, []):
                todo.append(child)
                try:
                    if b"--type=renderer" in Path(f"/proc/{child}/cmdline").read_bytes():
                        found.append(child)
                except OSError:
                    pass
        return found

    @staticmethod
    def status_kib(pid, field):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        return 0

    def renderer_peaks(self, proc, acks):
        """Reads web_runner's stdout as it comes, answering the page's memory marks.

        "mark start N": every renderer's peak RSS is reset (`5` into /proc/PID/clear_refs, which
        sets VmHWM to the current RSS) and its RSS noted; "mark end N": its VmHWM is read. The
        kernel keeps that peak, so no short spike between two samples is missed. The figure is
        the largest (VmHWM − RSS at start) over the renderers (the page's own is the one that
        moves). Each mark is acknowledged (acks/N-start|end) once done, so the page never runs
        ahead of the reading. Returns {end mark: bytes, "lines": stdout lines}."""
        out, base = {"lines": []}, {}
        for raw in proc.stdout:
            text = raw.decode(errors="replace")
            out["lines"].append(text)
            at = text.find("browser_bench: mark ")
            if at < 0 or not text.startswith("console: "):  # live console lines only, not the log replayed at the end
                continue
            what, n = text[at:].split()[2:4]
            if what == "start":
                base = {}
                for pid in self.renderers(proc.pid):
                    try:
                        Path(f"/proc/{pid}/clear_refs").write_text("5")
                        base[pid] = self.status_kib(pid, "VmRSS")
                    except OSError:
                        pass
            else:
                deltas = []
                for pid, rss in base.items():
                    try:
                        deltas.append(self.status_kib(pid, "VmHWM") - rss)
                    except OSError:
                        pass
                out[int(n)] = max(deltas) * KIB if deltas else None
            (acks / f"{n}-{what}").write_text("ok")
        proc.wait()
        return out

    def browser(self, _nginx):
        """The web backend in headless Chromium against plain XHR in the same page.

        The page (bench/web/browser_bench.html, built into the web preset's folder) runs every
        repetition itself, alternating the peers, checks every response and reports its figures
        as one JSON line; web_runner (native build) serves it from its Beast test server and
        drives Chromium. nginx plays no part: both peers fetch the page's own origin."""
        runner = self.build / "tests" / "browser" / "web_runner"
        web = Path(self.args.web_dir).resolve()
        if not runner.exists():
            sys.exit(f"bench: {runner} is missing: build the native-release preset first (scripts/bench.sh does)")
        if not (web / "bench" / "browser_bench.html").exists():
            sys.exit(f"bench: {web}/bench/browser_bench.html is missing: build the web preset first (scripts/bench.sh does)")
        reps, small, big_mib, file_mib = (1, 20, 1, 2) if self.smoke else (self.reps, 500, 100, 256)
        print(f"bench: browser — headless Chromium, {small} concurrent GETs of 1 KiB and one {big_mib} MiB GET, "
              f"asyncload web vs plain XHR, {reps} repetitions", flush=True)
        data, _ = self.browser_page(runner, web, f"bench/browser_bench.html?reps={reps}&small={small}&big_mib={big_mib}")
        runs = data["runs"]
        n, size = data["small_count"], data["big_bytes"]
        for r in runs:
            print(f"  rep {r['rep']}/{reps}  {n}×1 KiB: asyncload {r['small_asyncload']['ms']:8.1f} ms, XHR {r['small_xhr']['ms']:8.1f} ms;"
                  f"  {size / MIB:.0f} MiB: asyncload {r['big_asyncload']['ms']:8.1f} ms, XHR {r['big_xhr']['ms']:8.1f} ms", flush=True)

        def rate(kind, tool):
            return med([n / (r[f"{kind}_{tool}"]["ms"] / 1e3) if kind == "small" else size / 1e6 / (r[f"{kind}_{tool}"]["ms"] / 1e3)
                        for r in runs])

        def ratio(kind):  # asyncload's throughput ÷ XHR's, paired by repetition
            return med([r[f"{kind}_xhr"]["ms"] / r[f"{kind}_asyncload"]["ms"] for r in runs])

        def heap(values):
            values = [v for v in values if v is not None]
            return f"{med(values) / MIB:,.0f} MiB" if values else "n/a"

        last = runs[-1]
        rows = [
            f"| asyncload web (`emscripten_fetch`), rAF game loop | {rate('small', 'asyncload'):,.0f} | {ratio('small'):.2f}×"
            f" | {rate('big', 'asyncload'):,.0f} MB/s | {ratio('big'):.2f}×"
            f" | {heap([r['big_asyncload']['wasm_heap_bytes'] for r in runs])} | {heap([r['big_asyncload']['js_heap_bytes'] for r in runs])} |",
            f"| plain XHR (`responseType = \"arraybuffer\"`) | {rate('small', 'xhr'):,.0f} | 1.00×"
            f" | {rate('big', 'xhr'):,.0f} MB/s | 1.00× | | {heap([r['big_xhr']['js_heap_bytes'] for r in runs])} |",
        ]
        frames = med([r["small_asyncload"]["frames"] for r in runs])
        frame_ms = med([r["small_asyncload"]["ms"] / max(r["small_asyncload"]["frames"], 1) for r in runs])
        dispatch_us = med([r["small_asyncload"]["dispatch_ms"] * 1e3 / n for r in runs])
        big_dispatch = med([r["big_asyncload"]["dispatch_ms"] for r in runs])
        self.sections.append((f"Browser (headless Chromium): {n} concurrent GETs of 1 KiB, one {size / MIB:,.0f} MiB GET",
                              f"| tool | requests/s ({n} × 1 KiB) | × XHR | throughput ({size / MIB:,.0f} MiB) | × XHR "
                              "| wasm heap after the big GET | JS heap after the big GET |\n"
                              "|---|---|---|---|---|---|---|\n" + "\n".join(rows),
                              f"One page, {data['user_agent']}, served by web_runner's loopback test server "
                              "(Boost.Beast, `/bytes/N`, not nginx); the peers alternate within the page (A B, then B A), each "
                              "measurement starting right after a frame, after one untimed warm-up round. Both fetch `/bytes/N` of the page's own origin with a unique "
                              "query string per request, so the browser's cache never answers. Chromium opens at most 6 "
                              "HTTP/1.1 connections per host, for both peers alike: the XHR peer sends all requests at once "
                              "and Chromium queues them; asyncload keeps at most `Options::max_connections` (64, the default) "
                              "XHRs open and queues the rest itself. asyncload's time runs from its `http_get` calls to the "
                              "`dispatch()` that delivers the last final event, i.e. it includes waiting for the next "
                              f"animation frame (frames here: {frame_ms:.1f} ms apart, {frames:.0f} per small run); XHR's "
                              "ends in the last `onload`. Every response's status and length is checked. "
                              f"Game-thread time inside `dispatch()`: {dispatch_us:.1f} µs per small request, "
                              f"{big_dispatch:.1f} ms per big GET (progress events and the final one). Heaps (information "
                              "only): the wasm heap is `emscripten_get_heap_size()` (it never shrinks); the JS heap is "
                              "Chrome's coarse `performance.memory.usedJSHeapSize` (ArrayBuffers included, and whatever garbage "
                              "was not yet collected: asyncload's XHR also held the whole body as an ArrayBuffer before "
                              "it was copied into the wasm heap). "
                              f"Last repetition's wasm heap: {last['big_asyncload']['wasm_heap_bytes'] / MIB:,.0f} MiB."))
        for kind, label, target in (("small", f"{n}×1 KiB", 0.9), ("big", f"{size / MIB:,.0f} MiB", 0.95)):
            r = ratio(kind)
            each = ", ".join(f"{x[kind + '_xhr']['ms'] / x[kind + '_asyncload']['ms']:.2f}" for x in runs)
            self.summary.append(("browser", f"≥ {target}× XHR throughput — {label} (median of paired runs)",
                                 f"{r:.2f}× (runs: {each})", r >= target))
        self.browser_memory(runner, web, reps, file_mib)

    def browser_page(self, runner, web, page):
        """One web_runner run of `page`: its result JSON and the renderer's peaks by end mark."""
        # gc() for the page's marks; precise performance.memory (information only).
        command = [str(runner), "--docroot", str(web), "--page", page, "--timeout", "1800",
                   "--expect", "browser_bench: every check passed",
                   "--chromium-arg", "--js-flags=--expose-gc", "--chromium-arg", "--enable-precise-memory-info"]
        acks = web / "bench" / "acks"
        shutil.rmtree(acks, ignore_errors=True)
        acks.mkdir(parents=True)
        with open(self.log, "ab") as err:
            err.write(("\n$ " + " ".join(command) + "\n").encode())
            err.flush()
            proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err)
            peaks = self.renderer_peaks(proc, acks)
        shutil.rmtree(acks, ignore_errors=True)
        text = "".join(peaks.pop("lines"))
        with open(self.log, "a") as log:
            log.write(text)
        marker = "browser_bench: result "
        results = [line[line.index(marker) + len(marker):] for line in text.splitlines() if marker in line]
        if proc.returncode != 0 or not results:
            sys.exit(f"bench: the browser page failed (web_runner exit {proc.returncode}):\n{text}\n(see {self.log})")
        return json.loads(results[-1]), peaks

    def browser_memory(self, runner, web, reps, file_mib):
        """Peak memory of one big GET: each step in a fresh page (its own web_runner and Chromium),
        the order rotating per repetition, so that no step inherits another's resident memory."""
        steps = ["file_asyncload", "body_asyncload", "body_xhr"]
        print(f"bench: browser memory — {file_mib} MiB to a file, into memory, plain XHR; a fresh page per step, "
              f"{reps} repetitions", flush=True)
        runs = []
        for rep in range(reps):
            r = {"rep": rep + 1}
            for step in steps[rep % 3:] + steps[:rep % 3]:
                data, peaks = self.browser_page(runner, web, f"bench/browser_bench.html?mem={step}&file_mib={file_mib}&ack=1")
                got = data["runs"][0][step]
                got["rss_peak_bytes"] = peaks.get(got["mark"])
                r[step] = got
                peak = got["rss_peak_bytes"]
                print(f"  rep {rep + 1}/{reps}  {step:<16} {got['ms']:8.1f} ms, renderer peak above idle "
                      f"{peak / MIB if peak is not None else float('nan'):8.1f} MiB", flush=True)
            runs.append(r)
        size = data["file_bytes"]

        def peaks(step):
            return [r[step]["rss_peak_bytes"] for r in runs if r[step].get("rss_peak_bytes") is not None]

        def mib(v):
            return f"{v / MIB:,.0f} MiB"

        def speed(step):  # MB/s, and × XHR paired by repetition
            return (med([size / 1e6 / (r[step]["ms"] / 1e3) for r in runs]),
                    med([r["body_xhr"]["ms"] / r[step]["ms"] for r in runs]))

        rows = []
        for step, label in (("file_asyncload", "asyncload `http_get_file` (Range pieces of 8 MiB into MEMFS)"),
                            ("body_asyncload", "asyncload `http_get` (Range pieces of 8 MiB into the body)"),
                            ("body_xhr", "plain XHR (`responseType = \"arraybuffer\"`, one response)")):
            p = peaks(step)
            rate, vs = speed(step)
            wasm = ([r[step]["peak_wasm_heap_bytes"] for r in runs] if step != "body_xhr" else [])
            js = [r[step].get("peak_js_heap_bytes", r[step].get("js_heap_bytes")) for r in runs]
            js = [v for v in js if v]
            rows.append(f"| {label} | {mib(med(p)) if p else 'n/a'} | {mib(max(p)) if p else 'n/a'}"
                        f" | {(med(p) / size) if p else float('nan'):.2f} | {rate:,.0f} MB/s | {vs:.2f}×"
                        f" | {mib(med(wasm)) if wasm else ''} | {mib(med(js)) if js else 'n/a'} |")
        self.sections.append((f"Browser memory: one {size / MIB:,.0f} MiB GET to a file and into memory",
                              "| tool | peak above the idle page (median) | worst run | ÷ body | throughput | × XHR "
                              "| wasm heap (peak, information) | JS heap (peak, information) |\n"
                              "|---|---|---|---|---|---|---|---|\n" + "\n".join(rows),
                              "The same page and server as above; the file is web_runner's `/resumable/<name>` "
                              "(defined by `/resumable-set/<name>?bytes=N`), which answers "
                              "`Range` with 206, `Accept-Ranges: bytes` and a strong ETag, so both asyncload calls "
                              "go in pieces (`Options::web_piece_bytes`, 8 MiB); `http_get` carries "
                              "`RequestOptions::max_body_bytes` of twice the body (the default, 256 MiB, is the body's "
                              "own size). "
                              "**What is measured**: the page's renderer process's peak resident memory above the idle "
                              "page: before a step the page collects garbage (`gc()`, Chromium run with "
                              "`--js-flags=--expose-gc`) and logs a mark; bench/run.py then resets the renderer's peak "
                              "(`5` into `/proc/PID/clear_refs`) and notes its RSS; after the step (and another `gc()`) "
                              "it reads `VmHWM`. The page waits for each acknowledgement, so nothing overlaps. Each step "
                              "runs in a fresh page (its own web_runner and Chromium), after a warm-up round of 20 small "
                              "GETs by each peer and a second of frames: a page that had run another step would keep "
                              "that step's wasm heap resident (it never shrinks), hiding what this one needs. This is "
                              "the kernel's own peak, not a sample, and it counts everything the renderer holds, "
                              "what Chromium keeps of a response before the page sees it included. The page's own "
                              "figures are information: the wasm heap (`emscripten_get_heap_size()`, sampled at every "
                              "progress event and frame) is the heap's size, which never shrinks, not what the step "
                              "touched; the JS heap (`performance.memory.usedJSHeapSize` with "
                              "`--enable-precise-memory-info`, sampled likewise; XHR's read once, at its `onload`) does "
                              "count ArrayBuffers and MEMFS's file contents, garbage not yet collected included (what "
                              "what the peaks were made of before fix 7 in \"What was profiled and fixed\" below). The file stays in MEMFS "
                              "until the step's end (it is unlinked then), so it counts in its step's peak: the target "
                              "allows for it. Throughput (information): the step's own time (asyncload: `http_*` call to the frame "
                              "whose `dispatch()` delivers the final event), paired with the same repetition's XHR."))
        file_peaks, body_peaks = peaks("file_asyncload"), peaks("body_asyncload")
        if file_peaks:
            worst = max(file_peaks)
            self.summary.append(("browser", f"{size / MIB:,.0f} MiB `http_get_file`: peak above the idle page ≤ file + 64 MiB "
                                 f"({mib(size + 64 * MIB)})", f"{mib(worst)} (worst run; median {mib(med(file_peaks))})",
                                 worst <= size + 64 * MIB))
        if body_peaks:
            worst = max(body_peaks)
            self.summary.append(("browser", f"{size / MIB:,.0f} MiB `http_get`: peak above the idle page ≤ 1.25× the body "
                                 f"({mib(1.25 * size)})", f"{mib(worst)} = {worst / size:.2f}× (worst run; median "
                                 f"{med(body_peaks) / size:.2f}×; plain XHR {med(peaks('body_xhr')) / size if peaks('body_xhr') else float('nan'):.2f}×)",
                                 worst <= 1.25 * size))


# --- the report -------------------------------------------------------------------------------

def first_line(command):
    try:
        p = subprocess.run(command, capture_output=True, text=True)
        return (p.stdout or p.stderr).strip().splitlines()[0]
    except (OSError, IndexError):
        return "not installed"


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    debian = Path("/etc/debian_version").read_text().strip() if Path("/etc/debian_version").exists() else "?"
    return [
        ("CPU", f"{cpu}, {os.cpu_count()} cores"),
        ("memory", f"{mem / 1024 / 1024:.1f} GiB"),
        ("OS", f"Debian {debian}, Linux {platform.release()}"),
        ("compiler", first_line(["c++", "--version"])),
        ("libcurl", first_line(["curl-config", "--version"])),
        ("curl", first_line(["curl", "--version"])),
        ("nginx", first_line(["nginx", "-v"])),
        ("node", first_line(["node", "--version"])),
        ("chromium", first_line(["chromium", "--version"])),
        ("emscripten", first_line(["emcc", "--version"])),
    ]


def loadavg():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def verdict(ok):
    return "—" if ok is None else ("**met**" if ok else "**not met**")


def previous_report(path, findings):
    """The report at `path` (if any) as (its "Written by" sentence, {case: [Targets rows]},
    [(title, markdown)] of its case sections), for a run of some cases only: what it does not
    rerun is kept. The Machine and Targets sections, and what comes from bench/findings.md, are
    not case sections."""
    if not path.exists():
        return None
    text = path.read_text()
    first_finding = next((l[3:] for l in findings.read_text().splitlines() if l.startswith("## ")), None) if findings.exists() else None
    written = next((l.split(". ", 1)[0] for l in text.splitlines() if l.startswith("Written by")), "")
    rows, sections = {}, []
    for chunk in text.split("\n## ")[1:]:
        title, _, body = chunk.partition("\n")
        if title == first_finding:
            break
        if title == "Targets":
            for line in body.splitlines():
                cells = line.split(" | ")
                if line.startswith("| ") and not line.startswith(("| case |", "|---")):
                    rows.setdefault(cells[0][2:], []).append(line)
        elif title != "Machine":
            sections.append((title, body.strip("\n")))
    return written, rows, sections


# The Targets table's order (a stable sort keeps each case's rows in their order).
CASE_ORDER = ["many small", "big file", "resume", "big body", "dispatch cost", "latency", "frame stalls", "browser"]


def case_rank(row):
    case = row[2:].split(" | ", 1)[0]
    return CASE_ORDER.index(case) if case in CASE_ORDER else len(CASE_ORDER)


def write_report(bench, path, command, started, load_before, load_after, partial=None):
    lines = ["# Benchmarks", ""]
    previous = previous_report(path, ROOT / "bench" / "findings.md") if partial else None
    if bench.smoke:
        lines += ["**Smoke run (toy sizes, one repetition): these figures mean nothing.**", ""]
    lines += [
        f"Written by `{command}` on {started:%Y-%m-%d %H:%M} UTC. Release build (`native-release` preset), "
        f"nginx from Debian on 127.0.0.1 ({Nginx.WORKERS} worker process, keep-alive, sendfile, no access log but for the resume case's `/resume/`), "
        "random-byte payloads. Each case runs its tools alternately (A B C A B C ...), "
        f"{bench.reps} times; every figure is a median of those runs; peak RSS is each process's own "
        "(GNU time `%M`). Ratios are paired run by run (this run of A against the same repetition's run of B) "
        "and their median is quoted.",
        "",
        "**Quote ratios, not absolute figures.** The machine has 2 cores shared with other work: "
        "absolute figures drift 10–40 % from run to run (earlier measurements of the same peers on this machine class); "
        "paired ratios move a few percent. The load average was "
        f"{load_before} at the start and {load_after} at the end.",
        "",
    ]
    if previous:
        lines += [f"This run covered the cases {', '.join(f'`{c}`' for c in partial)} only; every other section, "
                  f"and its rows in Targets, is kept as it was: {previous[0][0].lower() + previous[0][1:]}.", ""]
    new_cases = {case for case, _, _, _ in bench.summary}
    kept_rows = [row for case, rows in (previous[1].items() if previous else []) if case not in new_cases for row in rows]
    lines += [
        "## Machine", "", "| | |", "|---|---|",
        *[f"| {k} | {v} |" for k, v in machine()],
        "",
        "## Targets", "", "| case | target | measured | |", "|---|---|---|---|",
        *sorted([f"| {case} | {target} | {measured} | {verdict(ok)} |" for case, target, measured, ok in bench.summary]
                + kept_rows, key=case_rank),
        "",
    ]
    fresh = [(title, table + "\n\n" + note if note else table) for title, table, note in bench.sections]
    if previous:  # the old sections in their order, the rerun ones replaced, new ones after their predecessor
        order = [(t, fresh_body) for t, fresh_body in previous[2]]
        titles = dict(fresh)
        order = [(t, titles.get(t, body)) for t, body in order]
        for i, (title, body) in enumerate(fresh):
            if title not in [t for t, _ in order]:
                at = next((k + 1 for k, (t, _) in enumerate(order) if i and t == fresh[i - 1][0]), len(order))
                order.insert(at, (title, body))
        fresh = order
    for title, body in fresh:
        lines += [f"## {title}", "", body, ""]
    findings = ROOT / "bench" / "findings.md"
    if findings.exists() and not bench.smoke:
        lines += [findings.read_text().rstrip(), ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", default=str(ROOT / "build/native-release"))
    parser.add_argument("--web-dir", default=str(ROOT / "build/web"), help="the web preset's build folder (browser case)")
    parser.add_argument("--work-dir", default=str(ROOT / "build/bench"), help="payloads, nginx, outputs, log")
    parser.add_argument("--out", default=str(ROOT / "docs/benchmarks.md"))
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--cases", default="small,instructions,file,resume,body,dispatch,latency,stalls,browser")
    parser.add_argument("--command", default="scripts/bench.sh", help="the command named in the report")
    parser.add_argument("--smoke", action="store_true", help="toy sizes, one repetition (ctest)")
    args = parser.parse_args()

    bench = Bench(args)
    bench.work.mkdir(parents=True, exist_ok=True)
    bench.out_dir.mkdir(parents=True, exist_ok=True)
    bench.log.write_text("")
    www = bench.work / "www"
    wanted = args.cases.split(",")
    nginx_needed = any(name != "browser" for name in wanted)  # the browser case has its own server
    if nginx_needed:
        make_payloads(www, {"1b.bin": 1, "1k.bin": KIB, "big.bin": bench.big_size})

    started = datetime.datetime.utcnow()
    load_before = loadavg()
    print(f"bench: load average {load_before}", flush=True)
    nginx = Nginx(bench.work, www)
    if nginx_needed:
        nginx.start()
    try:
        cases = {"small": bench.small, "instructions": bench.instructions, "file": bench.big_file, "resume": bench.resume, "body": bench.big_body, "dispatch": bench.dispatch,
                 "latency": bench.latency, "stalls": bench.stalls, "browser": bench.browser}
        for name in wanted:
            cases[name](nginx)
    finally:
        nginx.stop()
        bench.cleanup_outputs()
    load_after = loadavg()

    print("\nbench: targets")
    for case, target, measured, ok in bench.summary:
        print(f"  {case:<14} {target:<62} {measured:<28} {verdict(ok).strip('*')}")
    everything = parser.get_default("cases").split(",")
    partial = wanted if set(wanted) != set(everything) and not args.smoke else None
    write_report(bench, Path(args.out), args.command, started, load_before, load_after, partial)
    print(f"bench: wrote {args.out}")


if __name__ == "__main__":
    main()
