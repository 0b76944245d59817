"""The forwarding policy's table in force in the container (it has CAP_NET_ADMIN, and the converge
loads the table: group_vars/net_admin.yml): a packet that comes in on a ppp interface with a source
other than the port's remote_ip is dropped and counted; with the port's remote_ip it passes.

No PPP in the container's kernel: the ppp interface is one end of a veth pair named ppp77, and the
test writes Ethernet frames into the other end (a packet socket), so they come in on ppp77."""

import json
import shlex

import pytest

# group_vars/callback_servers.yml: the port's remote_ip.
REMOTE_IP = "192.168.1.2"
# Any other source: a LAN host's address, say.
SPOOFED_IP = "10.254.77.9"
LOCAL_IP = "10.254.77.1"
PORT = 5977

ATTACK = r"""
import json, socket, struct, subprocess, sys, time

def sh(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=False)

def counter():
    out = sh('nft', '-j', 'list', 'counter', 'inet', 'dialin_callback', 'spoofed_source')
    try:
        return [i['counter']['packets'] for i in json.loads(out.stdout)['nftables'] if 'counter' in i][0]
    except (ValueError, KeyError, IndexError):
        return None

def checksum(data):
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xffff)
    return ~(total + (total >> 16)) & 0xffff

def frame(src, dst, dst_mac, src_mac, port):
    payload = b'dialin-forward-policy ' + src.encode()
    udp = struct.pack('!HHHH', 40000, port, 8 + len(payload), 0) + payload
    head = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                       socket.inet_aton(src), socket.inet_aton(dst))
    head = head[:10] + struct.pack('!H', checksum(head)) + head[12:]
    return dst_mac + src_mac + b'\x08\x00' + head + udp

def mac(ifname):
    with open('/sys/class/net/%s/address' % ifname) as f:
        return bytes.fromhex(f.read().strip().replace(':', ''))

local, port = sys.argv[1], int(sys.argv[2])
sources = sys.argv[3:]
sh('ip', 'link', 'del', 'ppp77')
for cmd in (('ip', 'link', 'add', 'ppp77', 'type', 'veth', 'peer', 'name', 'dlcbatk77'),
            ('ip', 'addr', 'add', local + '/24', 'dev', 'ppp77'),
            ('ip', 'link', 'set', 'ppp77', 'up'), ('ip', 'link', 'set', 'dlcbatk77', 'up')):
    res = sh(*cmd)
    if res.returncode:
        print(json.dumps({'error': ' '.join(cmd) + ': ' + res.stderr}))
        sys.exit(0)
time.sleep(1)
result = {}
try:
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind((local, port))
    rx.settimeout(0.2)
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    tx.bind(('dlcbatk77', 0))
    for src in sources:
        before = counter()
        for _ in range(3):
            tx.send(frame(src, local, mac('ppp77'), mac('dlcbatk77'), port))
        got, end = [], time.time() + 2
        while time.time() < end:
            try:
                data, addr = rx.recvfrom(2048)
                got.append(addr[0])
            except socket.timeout:
                pass
        result[src] = {'received': got, 'counted': None if before is None or counter() is None
                       else counter() - before}
finally:
    sh('ip', 'link', 'del', 'ppp77')
print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def attack(host):
    cmd = "python3 -c %s %s %d %s %s" % (shlex.quote(ATTACK), LOCAL_IP, PORT, REMOTE_IP, SPOOFED_IP)
    out = host.run(cmd)
    assert out.rc == 0, out.stdout + out.stderr
    result = json.loads(out.stdout)
    assert "error" not in result, result
    return result


def test_the_policy_table_is_loaded(host):
    out = host.run("nft list table inet dialin_callback")
    assert out.rc == 0, out.stderr
    assert "chain prerouting" in out.stdout and "chain forward" in out.stdout


def test_control_the_port_s_remote_ip_passes(attack):
    assert attack[REMOTE_IP] == {"received": [REMOTE_IP] * 3, "counted": 0}


def test_a_spoofed_source_on_a_ppp_link_is_dropped_and_counted(attack):
    assert attack[SPOOFED_IP] == {"received": [], "counted": 3}


def policy_and_operator_tables(host):
    out = host.run("nft list tables")
    assert out.rc == 0, out.stderr
    return "table inet dialin_callback" in out.stdout.splitlines(), "table inet filter" in out.stdout.splitlines()


def test_starting_debian_s_nftables_service_loads_the_policy_again(host):
    """nftables.service loads /etc/nftables.conf ("flush ruleset" first) when it starts, which a
    reload or restart propagation does not cover: its drop-in loads the table right after, whether
    the policy's unit was left active or was stopped with nftables.service."""
    was_active = host.run("systemctl is-active nftables.service").stdout.strip() == "active"
    try:
        if was_active:
            assert host.run("systemctl stop nftables.service").rc == 0
            assert host.run("systemctl start dialin-callback-forward.service").rc == 0
        assert policy_and_operator_tables(host) == (True, False)
        # The policy's unit active, nftables.service started: the operator's ruleset and the table.
        out = host.run("systemctl start nftables.service")
        assert out.rc == 0, out.stderr
        assert policy_and_operator_tables(host) == (True, True)
        # Both stopped (PartOf=), then nftables.service started alone.
        assert host.run("systemctl stop nftables.service").rc == 0
        assert host.run("systemctl is-active dialin-callback-forward.service").stdout.strip() == "inactive"
        assert policy_and_operator_tables(host) == (False, False)
        out = host.run("systemctl start nftables.service")
        assert out.rc == 0, out.stderr
        assert policy_and_operator_tables(host) == (True, True)
    finally:
        if not was_active:
            host.run("systemctl stop nftables.service")
        host.run("systemctl start dialin-callback-forward.service")
    assert policy_and_operator_tables(host)[0]
