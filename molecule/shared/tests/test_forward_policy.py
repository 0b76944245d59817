"""The ip_forward role's forwarding policy as written on the converged container: the nftables
table's file, the boot script that loads it, the ip-up script (every scenario; the table's effect is
attacked in server-systemd, whose container may change its own ruleset, and in the e2e VM)."""

import re

NFT_FILE = "/etc/nftables.d/dialin-callback.nft"
IP_UP = "/etc/ppp/ip-up.d/dialin-callback-forward"
# group_vars/callback_servers.yml: the port's remote_ip and the LAN interface.
REMOTE_IP = "192.168.1.2"
LAN_INTERFACE = "eth0"


def test_the_table_forwards_only_between_the_ppp_links_and_the_lan(host):
    f = host.file(NFT_FILE)
    assert f.exists and f.user == "root" and f.mode == 0o644
    text = f.content_string
    # Its own table only: it replaces nothing but itself (no flush of the ruleset).
    assert "flush ruleset" not in text
    assert re.findall(r"^table inet (\S+)", text, re.M) == ["dialin_callback"] * 2
    assert re.search(r"elements = \{ %s \}" % re.escape(REMOTE_IP), text)
    assert f'iifname "ppp*" oifname {{ "{LAN_INTERFACE}" }} meta nfproto ipv4 counter name "ppp_to_lan" accept' in text
    assert 'iifname "ppp*" counter name "refused" drop' in text
    assert ('iifname "ppp*" meta nfproto ipv4 ip saddr != @ppp_remote_addresses counter name "spoofed_source" drop'
            in text)


def test_the_operator_s_nftables_conf_is_left_alone(host):
    # Debian's file as the package installed it: the conffile's md5sum dpkg recorded.
    recorded = host.run("dpkg-query -W -f='${Conffiles}' nftables").stdout.split()
    assert recorded[:1] == ["/etc/nftables.conf"], recorded
    assert host.file("/etc/nftables.conf").md5sum == recorded[1]


def test_the_table_is_loaded_at_boot(host):
    if host.system_info.type == "linux" and host.file("/run/systemd/system").is_directory:
        out = host.run("systemctl is-enabled dialin-callback-forward.service")
        assert out.stdout.strip() == "enabled", out.stdout + out.stderr
        unit = host.file("/etc/systemd/system/dialin-callback-forward.service").content_string
        assert f"ExecStart=/usr/sbin/nft -f {NFT_FILE}" in unit
        assert "After=nftables.service" in unit and "ReloadPropagatedFrom=nftables.service" in unit
        dropin = host.file("/etc/systemd/system/nftables.service.d/dialin-callback.conf")
        assert dropin.mode == 0o644 and dropin.user == "root"
        assert f"ExecStartPost=/usr/sbin/nft -f {NFT_FILE}" in dropin.content_string.splitlines()
        out = host.run("systemctl show -p ExecStartPost nftables.service")
        assert NFT_FILE in out.stdout, out.stdout
    else:
        script = host.file("/etc/init.d/dialin-callback-forward")
        assert script.mode == 0o755 and f"RULES={NFT_FILE}" in script.content_string
        links = host.run("ls /etc/rcS.d").stdout.split()
        assert [link for link in links if re.fullmatch(r"S\d\ddialin-callback-forward", link)], links


def test_each_ppp_link_gets_a_strict_reverse_path_filter(host):
    f = host.file(IP_UP)
    assert f.mode == 0o755 and f.user == "root"
    # Debian's /etc/ppp/ip-up runs the scripts of ip-up.d with PPP_IFACE set.
    out = host.run("run-parts --test /etc/ppp/ip-up.d")
    assert IP_UP in out.stdout.split(), out.stdout
    assert 'echo 1 >"/proc/sys/net/ipv4/conf/$PPP_IFACE/rp_filter"' in f.content_string
