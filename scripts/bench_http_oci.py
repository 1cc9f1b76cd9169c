"""bench_http_oci: the `http-oci` rows of scripts/bench: solo5-httpd run as a
container by containerd with ukvm-oci as its runc binary, measured with the
same clients as the `http` rows (scripts/bench_http.py), beside, in the same
run:

- nginx in a runc container on the same containerd (the baseline that pays
  the same engine path): an image made here from the host's nginx binary,
  the libraries it links and the same files, no registry or network needed;
- nginx on the host over a veth pair (as in the `http` rows);
- the same httpd.ukvm on ukvm directly (what the container path costs),
  with the clients on its tap, and again behind the network path ukvm-oci
  makes for a container (tc redirecting between the tap and a veth), with
  no engine (what of that cost is the network path), and the same again
  in cgroups of its own, as a container's process is (what the cgroups
  cost).

containerd is started here as the tests start it (temporary root, state,
socket), inside a network namespace made here; each container joins
(`ctr run --with-ns`) a namespace made here whose eth0 is a veth to a
second namespace, where wrk and curl run. All six servers are up at once
and measured in turn, for five short rounds (two with --quick) in a
rotating order; each figure is the median of its rounds. Containers, containerd,
its shims, mounts, cgroups and namespaces are removed afterwards, also on
failure.
"""
import contextlib
import io
import json
import os
import shutil
import statistics
import subprocess
import tarfile
import tempfile
import time

from bench_http import make_site, measure, nginx_config

SERVER = "10.92.0.2"
CLIENT = "10.92.0.1"
NAMESPACE = f"benchhttp{os.getpid()}"   # containerd's; it names the containers' cgroup parent


def _run(argv, check=True, timeout=300):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise SystemExit(f"bench http-oci: {' '.join(argv)}: {(r.stderr or r.stdout).strip()}")
    return r


def _netns(name):
    _run(["ip", "netns", "add", name])
    _run(["ip", "-n", name, "link", "set", "lo", "up"])


def _drop_netns(name):
    pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), 9)
        except ProcessLookupError:
            pass
    subprocess.run(["ip", "netns", "del", name], capture_output=True)


def _server_pair(box, cli):
    """The container's namespace (eth0 at SERVER) and the clients' (CLIENT)."""
    _netns(box)
    _netns(cli)
    _run(["ip", "-n", box, "link", "add", "eth0", "type", "veth", "peer", "name", "cli0", "netns", cli])
    _run(["ip", "-n", box, "addr", "add", f"{SERVER}/24", "dev", "eth0"])
    _run(["ip", "-n", box, "link", "set", "eth0", "up"])
    _run(["ip", "-n", cli, "addr", "add", f"{CLIENT}/24", "dev", "cli0"])
    _run(["ip", "-n", cli, "link", "set", "cli0", "up"])


class Containerd:
    """A containerd of our own in network namespace `ns`: temporary root,
    state and socket, no CRI; stop() removes what it and its shims made."""

    def __init__(self, tmp, ns):
        self.dir = os.path.join(tmp, "containerd")
        os.makedirs(self.dir)
        self.sock = os.path.join(self.dir, "containerd.sock")
        conf = os.path.join(self.dir, "config.toml")
        with open(conf, "w") as f:
            f.write(f'version = 2\nroot = "{self.dir}/root"\nstate = "{self.dir}/state"\n'
                    f'[grpc]\n  address = "{self.sock}"\n[ttrpc]\n  address = "{self.sock}.ttrpc"\n'
                    f'[debug]\n  address = "{self.dir}/debug.sock"\n'
                    '[plugins."io.containerd.grpc.v1.cri"]\n  disable = true\n')
        self.ctr = ["ctr", "--address", self.sock, "--namespace", NAMESPACE]
        self.daemon = subprocess.Popen(["nsenter", f"--net=/run/netns/{ns}", "containerd", "--config", conf],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(500):
            if subprocess.run(self.ctr + ["version"], capture_output=True).returncode == 0:
                return
            if self.daemon.poll() is not None:
                break
            time.sleep(0.02)
        self.stop()
        raise SystemExit("bench http-oci: containerd did not come up")

    def __call__(self, args, check=True, timeout=300):
        return _run(self.ctr + args, check=check, timeout=timeout)

    def remove(self, cid):
        """The container's task killed and deleted, then the container."""
        self(["task", "kill", "-s", "SIGKILL", cid], check=False)
        for _ in range(500):
            if self(["task", "delete", cid], check=False).returncode == 0 or \
                    cid not in self(["task", "ls", "-q"], check=False).stdout.split():
                break
            time.sleep(0.02)
        self(["container", "delete", cid], check=False)

    def stop(self):
        for cid in self(["container", "ls", "-q"], check=False).stdout.split():
            self.remove(cid)
        shims = subprocess.run(["pgrep", "-f", "--", f"-address {self.sock}"],
                               capture_output=True, text=True).stdout.split()
        self.daemon.terminate()
        try:
            self.daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.daemon.kill()
            self.daemon.wait()
        for pid in shims:
            try:
                os.kill(int(pid), 9)
            except ProcessLookupError:
                pass
        subprocess.run(f"grep -F ' {self.dir}/' /proc/self/mounts | cut -d' ' -f2 | sort -r"
                       " | xargs -r -n1 umount -l", shell=True)
        subprocess.run(f"for d in /sys/fs/cgroup/*/{NAMESPACE} /sys/fs/cgroup/{NAMESPACE}; do"
                       " [ -d $d ] && find $d -depth -type d -exec rmdir {} \\; ; done; true", shell=True)


def _httpd_archive(tmp, oci, kernel, img):
    """ukvm-oci's image of httpd.ukvm with the content image as its disk;
    the guest takes the container interface's address."""
    out = os.path.join(tmp, "httpd.oci.tar")
    _run([oci, "image", "--output", out, "--name", "localhost/bench/httpd:latest", "--disk",
          f"storage={img}", kernel, "{{service0.cidr}}", "--log=warn"])
    return out


def _nginx_conf(tmp, site):
    """nginx's configuration, as the `http` rows' host baseline has it, for
    a container: in the foreground, as nobody, logging to its stderr."""
    return nginx_config(tmp, site, "80", "user nobody nogroup;\nerror_log stderr;\ndaemon off;")


def _nginx_files():
    """The host's nginx and every library ldd names, by the path the loader
    looks for each (the loader itself included): {path in image: host file}."""
    nginx_bin = shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin")
    files = {"/usr/sbin/nginx": nginx_bin}
    for line in _run(["ldd", nginx_bin]).stdout.splitlines():
        parts = line.split()
        if "=>" in parts and len(parts) > 2 and parts[2].startswith("/"):
            files[parts[2]] = parts[2]
        elif parts and parts[0].startswith("/"):
            files[parts[0]] = parts[0]
    return files


class _Layer:
    """A tar layer being written: files owned by root, parents made first."""

    def __init__(self, path):
        self.tar = tarfile.open(path, "w")
        self.dirs = set()

    def dir(self, path, mode=0o755):
        if path in self.dirs:
            return
        self.dirs.add(path)
        info = tarfile.TarInfo(path.lstrip("/"))
        info.type, info.mode = tarfile.DIRTYPE, mode
        self.tar.addfile(_root_owned(info))

    def parents(self, path):
        parts = path.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            self.dir("/" + "/".join(parts[:i]))

    def file(self, path, host_file, mode=None):
        self.parents(path)
        info = self.tar.gettarinfo(os.path.realpath(host_file), arcname=path.lstrip("/"))
        if mode is not None:
            info.mode = mode
        with open(host_file, "rb") as f:
            self.tar.addfile(_root_owned(info), f)

    def text(self, path, text):
        self.parents(path)
        data = text.encode()
        info = tarfile.TarInfo(path.lstrip("/"))
        info.size, info.mode = len(data), 0o644
        self.tar.addfile(_root_owned(info), io.BytesIO(data))

    def close(self):
        self.tar.close()


def _docker_archive(tmp, name, layer, ref, entrypoint, cmd):
    """A Docker archive (manifest.json, config, one layer), which `ctr image
    import` takes; the layer file is moved into it."""
    digest = _run(["sha256sum", layer]).stdout.split()[0]
    image = os.path.join(tmp, name + "-image")
    os.makedirs(image)
    shutil.move(layer, os.path.join(image, "layer.tar"))
    with open(os.path.join(image, "config.json"), "w") as f:
        json.dump({"architecture": "amd64", "os": "linux", "config": {"Entrypoint": entrypoint, "Cmd": cmd},
                   "rootfs": {"type": "layers", "diff_ids": ["sha256:" + digest]}}, f)
    with open(os.path.join(image, "manifest.json"), "w") as f:
        json.dump([{"Config": "config.json", "RepoTags": [ref], "Layers": ["layer.tar"]}], f)
    archive = os.path.join(tmp, name + ".tar")
    _run(["tar", "-C", image, "-cf", archive, "manifest.json", "config.json", "layer.tar"])
    shutil.rmtree(image)
    return archive


def _nginx_archive(tmp, site):
    """An image of the host's nginx made here, without a registry: the
    binary and its libraries, passwd and group for its worker's user, the
    configuration of the host baseline, and the site. Returns (archive,
    reference)."""
    ref = "localhost/bench/nginx:latest"
    path = os.path.join(tmp, "nginx-layer.tar")
    layer = _Layer(path)
    for dst, src in sorted(_nginx_files().items()):
        layer.file(dst, src)
    layer.text("/etc/passwd", "root:x:0:0:root:/:/bin/false\nnobody:x:65534:65534:nobody:/:/bin/false\n")
    layer.text("/etc/group", "root:x:0:\nnogroup:x:65534:\n")
    layer.text("/etc/nginx/nginx.conf", _nginx_conf("/tmp", "/srv/site"))
    layer.dir("/tmp", 0o1777)
    for name in sorted(os.listdir(site)):
        layer.file(f"/srv/site/{name}", os.path.join(site, name), mode=0o644)
    layer.close()
    archive = _docker_archive(tmp, "nginx", path, ref, ["/usr/sbin/nginx"], ["-c", "/etc/nginx/nginx.conf"])
    return archive, ref


def _root_owned(info):
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def _wait_answer(cli, what):
    for _ in range(600):
        if subprocess.run(["ip", "netns", "exec", cli, "curl", "-s", "-o", "/dev/null", "--max-time", "1",
                           f"http://{SERVER}/"]).returncode == 0:
            return
        time.sleep(0.1)
    raise SystemExit(f"bench http-oci: {what} never answered")


@contextlib.contextmanager
def _container(containerd, runtime, ref, cid):
    """Image `ref` running as container `cid` in a namespace pair of its
    own; yields the clients' namespace; removes both."""
    box, cli = f"bhoci{os.getpid()}{cid}", f"bhocl{os.getpid()}{cid}"
    try:
        _server_pair(box, cli)
        containerd(["run", "-d", "--with-ns", f"network:/var/run/netns/{box}"] + runtime + [ref, cid])
        _wait_answer(cli, cid)
        yield cli
    finally:
        containerd.remove(cid)
        _drop_netns(cli)
        _drop_netns(box)


@contextlib.contextmanager
def _direct(argv):
    """The server `argv` on tap0 in a namespace of its own, where the
    clients run too (as the `http` rows run it)."""
    ns = f"bhodi{os.getpid()}"
    guest = None
    try:
        _netns(ns)
        _run(["ip", "-n", ns, "tuntap", "add", "dev", "tap0", "mode", "tap"])
        _run(["ip", "-n", ns, "addr", "add", f"{CLIENT}/24", "dev", "tap0"])
        _run(["ip", "-n", ns, "link", "set", "tap0", "up"])
        guest = subprocess.Popen(["ip", "netns", "exec", ns] + argv, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        _wait_answer(ns, "ukvm")
        yield ns
    finally:
        _drop_netns(ns)
        if guest:
            guest.wait()


@contextlib.contextmanager
def _redirected(argv, tag, cgroup=False):
    """The server `argv` on ukvm directly, on the network path ukvm-oci
    gives a container and without an engine: a tap in the server's
    namespace, tc redirecting every frame between it and eth0 (a veth to
    the clients' namespace), the guest on eth0's MAC. With `cgroup`, the
    monitor starts in cgroups of its own, as a container's process does."""
    box, cli = f"bhorb{os.getpid()}{tag}", f"bhorc{os.getpid()}{tag}"
    groups = _cgroup_dirs(f"benchhttp{os.getpid()}{tag}") if cgroup else []
    guest = None
    try:
        _server_pair(box, cli)
        _run(["ip", "-n", box, "tuntap", "add", "dev", "tap0", "mode", "tap"])
        _run(["ip", "-n", box, "link", "set", "tap0", "up"])
        for source, target in (("eth0", "tap0"), ("tap0", "eth0")):
            _run(["tc", "-n", box, "qdisc", "add", "dev", source, "ingress"])
            _run(["tc", "-n", box, "filter", "add", "dev", source, "parent", "ffff:", "protocol", "all", "u32",
                  "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", target])
        for g in groups:
            os.makedirs(g, exist_ok=True)
        mac = _mac(box, "eth0")
        guest = subprocess.Popen(["ip", "netns", "exec", box] + argv[:1] + [f"--net-mac:service0={mac}"] + argv[1:],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 preexec_fn=lambda: _join_cgroups(groups))
        _wait_answer(cli, "ukvm behind tc")
        yield cli
    finally:
        _drop_netns(cli)
        _drop_netns(box)
        if guest:
            guest.wait()
        for g in groups:
            subprocess.run(["rmdir", g], capture_output=True)


def _cgroup_dirs(name):
    """The cgroups a container's process gets for CPU, memory and PIDs:
    one directory per v1 hierarchy, or one on the unified hierarchy."""
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        return [f"/sys/fs/cgroup/{name}"]
    return sorted({os.path.realpath(f"/sys/fs/cgroup/{h}") + "/" + name
                   for h in ("cpu", "cpuacct", "memory", "pids") if os.path.isdir(f"/sys/fs/cgroup/{h}")})


def _join_cgroups(groups):
    for g in groups:
        with open(os.path.join(g, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))


def _mac(ns, dev):
    out = _run(["ip", "-n", ns, "-o", "link", "show", dev]).stdout.split()
    return out[out.index("link/ether") + 1]


@contextlib.contextmanager
def _host_nginx(tmp, site):
    """nginx on the host (one worker, the same configuration as in the
    container) in one namespace, the clients in another, a veth between."""
    srv, cli = f"bhong{os.getpid()}", f"bhocn{os.getpid()}"
    conf = os.path.join(tmp, "nginx-host.conf")
    with open(conf, "w") as f:
        f.write(_nginx_conf(tmp, site))
    server = None
    try:
        _server_pair(srv, cli)
        server = subprocess.Popen(["ip", "netns", "exec", srv, "nginx", "-c", conf, "-p", tmp],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_answer(cli, "nginx")
        yield cli
    finally:
        _drop_netns(cli)
        _drop_netns(srv)
        if server:
            server.wait()


def _rounds(servers, quick):
    """Each server measured in turn (the `http` rows' short measure(): 2 s
    of wrk at 1 and at 64 connections, one download after a warm one), for
    several rounds, the order rotating: the machine's noise falls on all
    alike, and many short rounds outvote a burst of it better than a few
    long ones. Returns each server's median of each figure."""
    n = 2 if quick else 5
    runs = {name: [] for name in servers}
    names = list(servers)
    for i in range(n):
        for name in names[i % len(names):] + names[:i % len(names)]:
            runs[name].append(measure(servers[name], SERVER, True))
    return {name: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for name, rs in runs.items()}


def bench_http_oci(row, build, quick):
    oci = os.path.join(build, "bin", "ukvm-oci")
    kernel = os.path.join(build, "ukvm", "httpd.ukvm")
    tools = ("containerd", "ctr", "containerd-shim-runc-v2", "runc", "nginx", "wrk", "curl", "nsenter", "ldd")
    missing = [t for t in tools if not shutil.which(t) and not shutil.which(t, path="/usr/sbin:/sbin")]
    missing += [p for p in (oci, kernel) if not os.path.exists(p)]
    if os.getuid() != 0 or missing:
        print(f"http-oci: SKIPPED: needs root and {', '.join(missing) or 'nothing else'} (scripts/setup, make all)")
        return
    with tempfile.TemporaryDirectory(prefix="bench-http-oci-") as tmp:
        os.chmod(tmp, 0o755)    # nginx's worker is not root
        site, img = make_site(tmp)
        httpd, nginx_image = _httpd_archive(tmp, oci, kernel, img), _nginx_archive(tmp, site)
        daemon_ns = f"bhocd{os.getpid()}"
        containerd = None
        try:
            _netns(daemon_ns)
            containerd = Containerd(tmp, daemon_ns)
            containerd(["image", "import", httpd])
            containerd(["image", "import", nginx_image[0]])
            ukvm_oci = ["--runc-binary", oci, "--runc-root", os.path.join(tmp, "ukvm-oci-root")]
            runc = ["--runc-root", os.path.join(tmp, "runc-root")]
            direct = [os.path.join(build, "bin", "ukvm"), "--net:service0=tap0", f"--block:storage={img}", kernel,
                      f"{SERVER}/24", "--log=warn"]
            with contextlib.ExitStack() as up:
                servers = {"oci": up.enter_context(_container(containerd, ukvm_oci, "localhost/bench/httpd:latest",
                                                              "httpd")),
                           "runc": up.enter_context(_container(containerd, runc, nginx_image[1], "nginx")),
                           "direct": up.enter_context(_direct(direct)),
                           "tc": up.enter_context(_redirected(direct, "t")),
                           "cg": up.enter_context(_redirected(direct, "g", cgroup=True)),
                           "host": up.enter_context(_host_nginx(tmp, site))}
                r = _rounds(servers, quick)
        finally:
            if containerd:
                containerd.stop()
            _drop_netns(daemon_ns)
    uk, rc, direct, tc, cg, host = r["oci"], r["runc"], r["direct"], r["tc"], r["cg"], r["host"]
    n = "ukvm-oci"
    row(f"http 1 conn req/s ({n})", uk["rps1"], "req/s", "nginx in runc, same ctrd", rc["rps1"])
    row(f"http 1 conn p50/p99 ms ({n})", uk["p50_1"], f"/{uk['p99_1']:.2f}", "nginx in runc p50", rc["p50_1"])
    row(f"http 64 conns req/s ({n})", uk["rps64"], "req/s", "nginx in runc, same ctrd", rc["rps64"])
    row(f"http 64 conns p50/p99 ms ({n})", uk["p50_64"], f"/{uk['p99_64']:.2f}", "nginx in runc p50", rc["p50_64"])
    row(f"http 64 MiB download MiB/s ({n})", uk["mbs"], "MiB/s", "nginx in runc, same ctrd", rc["mbs"])
    # The same three figures against each other baseline of the run.
    for label, base in (("nginx over veth", host), ("ukvm directly", direct),
                        ("ukvm, tc+veth, no engine", tc), ("ukvm, tc+veth+cgroups", cg)):
        row(f"http 1 conn req/s ({n})", uk["rps1"], "req/s", label, base["rps1"])
        row(f"http 64 conns req/s ({n})", uk["rps64"], "req/s", label, base["rps64"])
        row(f"http 64 MiB download MiB/s ({n})", uk["mbs"], "MiB/s", label, base["mbs"])
    row("http 1 conn p50/p99 ms (nginx in runc)", rc["p50_1"], f"/{rc['p99_1']:.2f}", "nginx over veth p50",
        host["p50_1"])
    row("http 64 conns req/s (nginx in runc)", rc["rps64"], "req/s", "nginx over veth", host["rps64"])
