"""bench_http_oci: the `http-oci` rows of scripts/bench: solo5-httpd run as a
container by containerd with ukvm-oci as its runc binary, measured with the
same clients as the `http` rows (scripts/bench_http.py), beside, in the same
run:

- nginx in a runc container on the same containerd (the baseline that pays
  the same engine path): an image made here from the host's nginx binary,
  the libraries it links and the same files, no registry or network needed;
- nginx on the host over a veth pair (as in the `http` rows);
- the same httpd.ukvm on ukvm directly (what the container path costs).

containerd is started here as the tests start it (temporary root, state,
socket), inside a network namespace made here; each container joins
(`ctr run --with-ns`) a namespace made here whose eth0 is a veth to a
second namespace, where wrk and curl run. Containers, containerd, its
shims, mounts, cgroups and namespaces are removed afterwards, also on
failure.
"""
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time

from bench_http import make_site, measure, nginx, unikernel

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


def _nginx_conf():
    return """worker_processes 1;
user nobody nogroup;
pid /tmp/nginx.pid;
daemon off;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    keepalive_requests 1000000;
    client_body_temp_path /tmp/body; proxy_temp_path /tmp/proxy;
    fastcgi_temp_path /tmp/fcgi; uwsgi_temp_path /tmp/uwsgi; scgi_temp_path /tmp/scgi;
    types { text/html html; application/octet-stream bin; }
    server { listen 80; root /srv/site; }
}
"""


def _nginx_archive(tmp, site):
    """A Docker archive (which `ctr image import` takes) of the host's nginx:
    the binary, every library ldd names (at the path the loader looks for
    it), passwd and group for its worker's user, a config like the host
    baseline's, and the site. Returns (archive, reference)."""
    ref = "localhost/bench/nginx:latest"
    nginx_bin = shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin")
    files = {"/usr/sbin/nginx": nginx_bin}
    for line in _run(["ldd", nginx_bin]).stdout.splitlines():
        parts = line.split()
        if "=>" in parts and len(parts) > 2 and parts[2].startswith("/"):
            files[parts[2]] = parts[2]
        elif parts and parts[0].startswith("/"):
            files[parts[0]] = parts[0]      # the loader itself
    layer = os.path.join(tmp, "nginx-layer.tar")
    texts = {"/etc/passwd": "root:x:0:0:root:/:/bin/false\nnobody:x:65534:65534:nobody:/:/bin/false\n",
             "/etc/group": "root:x:0:\nnogroup:x:65534:\n", "/etc/nginx/nginx.conf": _nginx_conf()}

    def add_text(t, path, text):
        info = tarfile.TarInfo(path.lstrip("/"))
        data = text.encode()
        info.size, info.mode = len(data), 0o644
        t.addfile(info, io.BytesIO(data))

    def add_dir(t, path, mode=0o755):
        info = tarfile.TarInfo(path.lstrip("/"))
        info.type, info.mode = tarfile.DIRTYPE, mode
        t.addfile(info)

    made = set()
    with tarfile.open(layer, "w") as t:
        def parents(path):
            parts = path.strip("/").split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/" + "/".join(parts[:i])
                if d not in made:
                    made.add(d)
                    add_dir(t, d)
        for dst, src in sorted(files.items()):
            parents(dst)
            t.add(os.path.realpath(src), arcname=dst.lstrip("/"), filter=_root_owned)
        for dst, text in texts.items():
            parents(dst)
            add_text(t, dst, text)
        add_dir(t, "/tmp", 0o1777)
        for d in ("/srv", "/srv/site"):
            add_dir(t, d)
        for name in sorted(os.listdir(site)):
            t.add(os.path.join(site, name), arcname=f"srv/site/{name}", filter=_readable)
    digest = _run(["sha256sum", layer]).stdout.split()[0]
    image = os.path.join(tmp, "nginx-image")
    os.makedirs(image)
    shutil.move(layer, os.path.join(image, "layer.tar"))
    with open(os.path.join(image, "config.json"), "w") as f:
        json.dump({"architecture": "amd64", "os": "linux",
                   "config": {"Entrypoint": ["/usr/sbin/nginx"], "Cmd": ["-c", "/etc/nginx/nginx.conf"]},
                   "rootfs": {"type": "layers", "diff_ids": ["sha256:" + digest]}}, f)
    with open(os.path.join(image, "manifest.json"), "w") as f:
        json.dump([{"Config": "config.json", "RepoTags": [ref], "Layers": ["layer.tar"]}], f)
    archive = os.path.join(tmp, "nginx.tar")
    _run(["tar", "-C", image, "-cf", archive, "manifest.json", "config.json", "layer.tar"])
    shutil.rmtree(image)
    return archive, ref


def _root_owned(info):
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def _readable(info):
    info = _root_owned(info)
    info.mode = 0o644
    return info


def _serve(containerd, runtime, ref, cid, quick):
    """Runs image `ref` as container `cid` in a namespace pair of its own,
    measures it from the clients' namespace, removes it."""
    box, cli = f"bhoci{os.getpid()}{cid}", f"bhocl{os.getpid()}{cid}"
    try:
        _server_pair(box, cli)
        containerd(["run", "-d", "--with-ns", f"network:/var/run/netns/{box}"] + runtime + [ref, cid])
        for _ in range(600):
            if subprocess.run(["ip", "netns", "exec", cli, "curl", "-s", "-o", "/dev/null", "--max-time", "1",
                               f"http://{SERVER}/"]).returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise SystemExit(f"bench http-oci: {cid} never answered")
        return measure(cli, SERVER, quick)
    finally:
        containerd.remove(cid)
        _drop_netns(cli)
        _drop_netns(box)


def bench_http_oci(row, build, quick):
    oci = os.path.join(build, "bin", "ukvm-oci")
    kernel = os.path.join(build, "ukvm", "httpd.ukvm")
    tools = ("containerd", "ctr", "containerd-shim-runc-v2", "runc", "nginx", "wrk", "curl", "nsenter", "ldd")
    missing = [t for t in tools if not shutil.which(t) and not shutil.which(t, path="/usr/sbin:/sbin")]
    missing += [p for p in (oci, kernel) if not os.path.exists(p)]
    if os.getuid() != 0 or missing:
        print(f"http-oci: SKIPPED: needs root and {', '.join(missing) or 'nothing else'} (scripts/setup, make all)")
        return
    args = ["--log=warn"]
    with tempfile.TemporaryDirectory(prefix="bench-http-oci-") as tmp:
        os.chmod(tmp, 0o755)    # nginx's worker is not root
        site, img = make_site(tmp)
        httpd, nginx_image = _httpd_archive(tmp, oci, kernel, img), _nginx_archive(tmp, site)
        daemon_ns = f"bhocd{os.getpid()}"
        _netns(daemon_ns)
        containerd = None
        try:
            containerd = Containerd(tmp, daemon_ns)
            containerd(["image", "import", httpd])
            containerd(["image", "import", nginx_image[0]])
            ukvm_oci = ["--runc-binary", oci, "--runc-root", os.path.join(tmp, "ukvm-oci-root")]
            runc = ["--runc-root", os.path.join(tmp, "runc-root")]
            uk = _serve(containerd, ukvm_oci, "localhost/bench/httpd:latest", "httpd", quick)
            rc = _serve(containerd, runc, nginx_image[1], "nginx", quick)
        finally:
            if containerd:
                containerd.stop()
            _drop_netns(daemon_ns)
        devices = ["--net:service0=tap0", f"--block:storage={img}"]
        direct = unikernel([os.path.join(build, "bin", "ukvm")] + devices + [kernel, "10.90.0.2/24", "10.90.0.1"]
                           + args, quick, "o")
        host = nginx(site, tmp, quick)
    n = "ukvm-oci"
    row(f"http 1 conn req/s ({n})", uk["rps1"], "req/s", "nginx in runc, same ctrd", rc["rps1"])
    row(f"http 1 conn p50/p99 ms ({n})", uk["p50_1"], f"/{uk['p99_1']:.2f}", "nginx in runc p50", rc["p50_1"])
    row(f"http 64 conns req/s ({n})", uk["rps64"], "req/s", "nginx in runc, same ctrd", rc["rps64"])
    row(f"http 64 conns p50/p99 ms ({n})", uk["p50_64"], f"/{uk['p99_64']:.2f}", "nginx in runc p50", rc["p50_64"])
    row(f"http 64 MiB download MiB/s ({n})", uk["mbs"], "MiB/s", "nginx in runc, same ctrd", rc["mbs"])
    row(f"http 1 conn req/s ({n})", uk["rps1"], "req/s", "nginx over veth", host["rps1"])
    row(f"http 64 conns req/s ({n})", uk["rps64"], "req/s", "nginx over veth", host["rps64"])
    row(f"http 64 MiB download MiB/s ({n})", uk["mbs"], "MiB/s", "nginx over veth", host["mbs"])
    row(f"http 1 conn req/s ({n})", uk["rps1"], "req/s", "ukvm directly", direct["rps1"])
    row(f"http 64 conns req/s ({n})", uk["rps64"], "req/s", "ukvm directly", direct["rps64"])
    row(f"http 64 MiB download MiB/s ({n})", uk["mbs"], "MiB/s", "ukvm directly", direct["mbs"])
    row("http 1 conn p50/p99 ms (nginx in runc)", rc["p50_1"], f"/{rc['p99_1']:.2f}", "nginx over veth p50",
        host["p50_1"])
    row("http 64 conns req/s (nginx in runc)", rc["rps64"], "req/s", "nginx over veth", host["rps64"])
