"""bench_http: the `http` rows of scripts/bench: solo5-httpd served to wrk
and curl, beside nginx on the host serving the same files over a veth pair,
measured in the same run.

Every server and client runs inside network namespaces made here (a tap
for the unikernel, a veth pair for nginx), deleted afterwards. Rows:
requests/s and latency (median, p99) for a small page with keep-alive at 1
and 64 connections (wrk), and the throughput of one 64 MiB download (curl),
on ukvm, on upstream's solo5-hvt when SOLO5_PEER names a build, and under
QEMU (virtio; TCG on machines without vmx/svm).
"""
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
SERVER = "10.90.0.2"
NGINX = "10.91.0.1"
BIG = 64 << 20
MID = 1 << 20   # upstream's tender runs the stack at CPL 0: emulated, slow


def sh(cmd, check=True):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise SystemExit(f"bench http: {cmd}: {r.stderr.strip()}")
    return r.stdout


def make_site(tmp):
    site = os.path.join(tmp, "site")
    os.makedirs(site)
    with open(os.path.join(site, "index.html"), "w") as f:
        f.write("<!DOCTYPE html>\n<html><head><title>bench</title></head><body>\n"
                + "<p>solo5-httpd bench page</p>\n" * 16 + "</body></html>\n")
    with open(os.path.join(site, "big.bin"), "wb") as f:
        f.write(os.urandom(BIG))
    with open(os.path.join(site, "mid.bin"), "wb") as f:
        f.write(os.urandom(MID))
    img = os.path.join(tmp, "site.img")
    subprocess.run([os.path.join(ROOT, "scripts", "httpd-image"), site, img], check=True,
                   stdout=subprocess.DEVNULL)
    return site, img


def seconds(text):
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    v = float(m.group(1))
    return v / 1e6 if m.group(2) == "us" else v / 1e3 if m.group(2) == "ms" else v


def wrk(ns, url, conns, duration):
    threads = min(conns, 2)
    out = sh(f"ip netns exec {ns} wrk -t{threads} -c{conns} -d{duration}s --timeout 10s --latency {url}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = seconds(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = seconds(re.search(r"\s99%\s+(\S+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise SystemExit(f"bench http: wrk on {url}: {bad.group(0)}")
    errors = re.search(r"Socket errors: (.*)", out)
    if errors:     # slow servers time out; say so beside the figures
        print(f"http: note: wrk -c{conns} on {url}: socket errors: {errors.group(1)}")
    return rps, p50 * 1e3, p99 * 1e3


def download(ns, url, runs, expect=BIG):
    rates = []
    for _ in range(runs + 1):       # the first warms caches
        out = sh(f"ip netns exec {ns} curl -sS -o /dev/null -w '%{{speed_download}} %{{size_download}}' {url}")
        rate, size = out.split()
        if int(size) != expect:
            raise SystemExit(f"bench http: {url}: {size} bytes, expected {expect}")
        rates.append(float(rate) / 2**20)
    return statistics.median(rates[1:])


def measure(ns, host, quick, slow=False):
    d = 2 if quick else 5
    small = f"http://{host}/index.html"
    one = wrk(ns, small, 1, d)
    many = wrk(ns, small, 64, d)
    if slow:
        big = download(ns, f"http://{host}/mid.bin", 1, expect=MID)
    else:
        big = download(ns, f"http://{host}/big.bin", 1 if quick else 3)
    return {"rps1": one[0], "p50_1": one[1], "p99_1": one[2],
            "rps64": many[0], "p50_64": many[1], "p99_64": many[2], "mbs": big}


def unikernel(argv, quick, tag, mtu=1500, slow=False):
    """Boots argv (the server, on tap0) in a namespace of its own, measures.
    With a jumbo MTU only the download is measured."""
    ns = f"bhttp{os.getpid()}{tag}"
    sh(f"ip netns add {ns} && ip -n {ns} link set lo up && ip -n {ns} tuntap add dev tap0 mode tap"
       f" && ip -n {ns} link set tap0 mtu {mtu}"
       f" && ip -n {ns} addr add 10.90.0.1/24 dev tap0 && ip -n {ns} link set tap0 up")
    guest = None
    try:
        guest = subprocess.Popen(["ip", "netns", "exec", ns] + argv,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(600):
            if subprocess.run(f"ip netns exec {ns} curl -s -o /dev/null --max-time 1 http://{SERVER}/",
                              shell=True).returncode == 0:
                break
            time.sleep(0.1)
        if mtu != 1500:
            return download(ns, f"http://{SERVER}/big.bin", 1 if quick else 3)
        return measure(ns, SERVER, quick, slow)
    finally:
        sh(f"ip netns pids {ns} | xargs -r kill -9", check=False)
        if guest:
            guest.wait()
        sh(f"ip netns del {ns}", check=False)


def nginx_config(tmp, site, listen, head):
    """nginx's configuration for every nginx baseline: one worker (the
    unikernel has one thread), `site` served on `listen`, its files under
    `tmp`; `head`: the top-level lines that differ (logging, user, daemon)."""
    return f"""worker_processes 1;
pid {tmp}/nginx.pid;
{head}
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    keepalive_requests 1000000;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    types {{ text/html html; application/octet-stream bin; }}
    server {{ listen {listen}; root {site}; }}
}}
"""


def nginx(site, tmp, quick, mtu=1500):
    """nginx (one worker, as the unikernel has one thread) in one namespace,
    the client in another, a veth pair between them."""
    srv, cli = f"bhttpng{os.getpid()}", f"bhttpcl{os.getpid()}"
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(nginx_config(tmp, site, f"{NGINX}:80", f"error_log {tmp}/nginx-error.log;"))
    sh(f"ip netns add {srv} && ip netns add {cli} && ip -n {srv} link set lo up && ip -n {cli} link set lo up"
       f" && ip -n {srv} link add veth0 type veth peer name veth1 netns {cli}"
       f" && ip -n {srv} addr add {NGINX}/24 dev veth0 && ip -n {srv} link set veth0 up"
       f" && ip -n {srv} link set veth0 mtu {mtu} && ip -n {cli} link set veth1 mtu {mtu}"
       f" && ip -n {cli} addr add 10.91.0.2/24 dev veth1 && ip -n {cli} link set veth1 up")
    try:
        sh(f"ip netns exec {srv} nginx -c {conf} -p {tmp}")
        for _ in range(100):
            if subprocess.run(f"ip netns exec {cli} curl -s -o /dev/null http://{NGINX}/", shell=True).returncode == 0:
                break
            time.sleep(0.05)
        if mtu != 1500:
            return download(cli, f"http://{NGINX}/big.bin", 1 if quick else 3)
        return measure(cli, NGINX, quick)
    finally:
        sh(f"ip netns pids {srv} | xargs -r kill -9; ip netns pids {cli} | xargs -r kill -9", check=False)
        sh(f"ip netns del {srv}; ip netns del {cli}", check=False)


def bench_http(row, quick):
    for tool in ("wrk", "curl", "nginx"):
        if not shutil.which(tool) and not shutil.which(tool, path="/usr/sbin:/sbin"):
            print(f"http: SKIPPED: {tool} is not installed (scripts/setup installs it)")
            return
    args = [f"{SERVER}/24", "10.90.0.1", "--log=warn"]
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        os.chmod(tmp, 0o755)    # nginx's worker is not root
        site, img = make_site(tmp)
        devices = ["--net:service0=tap0", f"--block:storage={img}"]
        ukvm = [os.path.join(BUILD, "bin", "ukvm")]
        image = [os.path.join(BUILD, "ukvm", "httpd.ukvm")]
        results = {"ukvm": unikernel(ukvm + devices + image + args, quick, "u"),
                   # The same without large send: MTU-sized frames, taps
                   # without virtio-net headers (what ukvm did before it).
                   "nolso": unikernel(ukvm + ["--x-no-large-send"] + devices + image + args, quick, "n")}
        peer = os.environ.get("SOLO5_PEER", "")
        tender = os.path.join(peer, "tenders", "hvt", "solo5-hvt")
        if peer and os.access(tender, os.X_OK):
            results["upstream"] = unikernel([tender] + devices + ["--", os.path.join(BUILD, "ukvm", "httpd.ukvm")]
                                            + args, quick, "p", slow=True)
        if shutil.which("qemu-system-x86_64"):
            results["virtio"] = unikernel([os.path.join(ROOT, "scripts", "virtio-run"), "-t", "600", "-m", "256",
                                           "-n", "tap0", "-d", img, os.path.join(BUILD, "virtio", "httpd.virtio")]
                                          + args, quick, "v")
        base = nginx(site, tmp, quick)
        # Jumbo frames (MTU 9000 on the tap and on the veth pair): with
        # large send the unikernel's frames are up to 64 KiB at any MTU.
        jumbo = unikernel([os.path.join(BUILD, "bin", "ukvm")] + devices
                          + [os.path.join(BUILD, "ukvm", "httpd.ukvm")] + args, quick, "j", mtu=9000)
        jumbo_base = nginx(site, tmp, quick, mtu=9000)
    names = {"ukvm": "ukvm", "nolso": "ukvm --x-no-large-send", "upstream": "upstream solo5-hvt",
             "virtio": "QEMU virtio"}
    for key, r in results.items():
        n = names[key]
        row(f"http 1 conn req/s ({n})", r["rps1"], "req/s", "nginx over veth", base["rps1"])
        row(f"http 1 conn p50/p99 ms ({n})", r["p50_1"], f"/{r['p99_1']:.2f}", "nginx p50", base["p50_1"])
        row(f"http 64 conns req/s ({n})", r["rps64"], "req/s", "nginx over veth", base["rps64"])
        row(f"http 64 conns p50/p99 ms ({n})", r["p50_64"], f"/{r['p99_64']:.2f}", "nginx p50", base["p50_64"])
        size = "1 MiB" if key == "upstream" else "64 MiB"
        row(f"http {size} download MiB/s ({n})", r["mbs"], "MiB/s", "nginx over veth, 64 MiB", base["mbs"])
    row("http 64 MiB MiB/s, MTU 9000 (ukvm)", jumbo, "MiB/s", "nginx over veth, MTU 9000", jumbo_base)
    u, n = results["ukvm"], results["nolso"]
    row("http 64 MiB download MiB/s (ukvm, large send)", u["mbs"], "MiB/s", "ukvm --x-no-large-send", n["mbs"])
    row("http 64 conns req/s (ukvm, large send)", u["rps64"], "req/s", "ukvm --x-no-large-send", n["rps64"])
    if "upstream" in results:
        u, p = results["ukvm"], results["upstream"]
        row("http 64 conns req/s (ukvm)", u["rps64"], "req/s", "upstream solo5-hvt", p["rps64"])
        row("http download MiB/s (ukvm, 64 MiB)", u["mbs"], "MiB/s", "upstream solo5-hvt, 1 MiB", p["mbs"])
    else:
        print("http: upstream rows SKIPPED: SOLO5_PEER is not set (scripts/upstream-build)")
