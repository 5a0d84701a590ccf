# Sends hand-made DHCP messages from a test namespace and reports every reply, so one
# set of cases can be put to ISC dhcpd and to Triad and the answers compared.
# Usage (inside the client namespace): python3 request-probe.py CASES.json IFACE SERVER_MAC
# CASES.json: [{"name", "mac", "xid", "type", "ciaddr", "giaddr", "requested", "sid",
#               "src", "dst", "l2": "bcast"|"server", "flags", "repeat", "newXid"}]
# Prints one JSON object: {case name: [reply, …]}.
import json
import sys
import time

from scapy.all import AsyncSniffer, BOOTP, DHCP, Ether, IP, UDP, conf, sendp

conf.checkIPaddr = False
cases = json.load(open(sys.argv[1]))
iface = sys.argv[2]
server_mac = sys.argv[3]
names = {1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK", 7: "RELEASE", 8: "INFORM"}
types = {v: k for k, v in names.items()}


def reply_of(pkt):
    b = pkt[BOOTP]
    opts = {}
    for o in b[DHCP].options if DHCP in b else []:
        if isinstance(o, tuple) and len(o) >= 2:
            opts[o[0]] = o[1]
    msg = opts.get("error_message")
    return {
        "type": names.get(opts.get("message-type"), "BOOTREPLY"),
        "yiaddr": b.yiaddr,
        "ciaddr": b.ciaddr,
        "giaddr": b.giaddr,
        "ipdst": pkt[IP].dst,
        "dport": pkt[UDP].dport,
        "ethdst": pkt[Ether].dst,
        "broadcastFlag": bool(b.flags & 0x8000),
        "sid": opts.get("server_id"),
        "message": msg.decode("latin1") if isinstance(msg, bytes) else msg,
        "lease": opts.get("lease_time"),
    }


# A case with "repeat": N is sent N times (the repeats after a second, as a client's
# retransmissions), with the same xid or, with "newXid", a new one each time.
def xid_of(c, i):
    return c["xid"] + (0x1000 * i if c.get("newXid") else 0)


by_xid = {xid_of(c, i): c["name"] for c in cases for i in range(c.get("repeat", 1))}
sniffer = AsyncSniffer(iface=iface, filter="udp and (dst port 68 or dst port 67)", store=True)
sniffer.start()
time.sleep(1.0)


def send(c, i):
    mac = c["mac"]
    hw = bytes.fromhex(mac.replace(":", ""))
    relayed = c.get("giaddr", "0.0.0.0") != "0.0.0.0"
    opts = [("message-type", types[c.get("type", "REQUEST")])]
    if c.get("requested"):
        opts.append(("requested_addr", c["requested"]))
    if c.get("sid"):
        opts.append(("server_id", c["sid"]))
    opts += [("param_req_list", [1, 3, 6, 15, 51, 54]), "end"]
    pkt = (
        Ether(src=mac, dst="ff:ff:ff:ff:ff:ff" if c.get("l2", "bcast") == "bcast" else server_mac)
        / IP(src=c.get("src", "0.0.0.0"), dst=c.get("dst", "255.255.255.255"))
        / UDP(sport=67 if relayed else 68, dport=67)
        / BOOTP(op=1, chaddr=hw + b"\0" * 10, xid=xid_of(c, i), ciaddr=c.get("ciaddr", "0.0.0.0"),
                giaddr=c.get("giaddr", "0.0.0.0"), hops=1 if relayed else 0, flags=c.get("flags", 0))
        / DHCP(options=opts)
    )
    sendp(pkt, iface=iface, verbose=0)
    time.sleep(0.05)


for c in cases:
    send(c, 0)
for i in range(1, max(c.get("repeat", 1) for c in cases)):
    time.sleep(1.0)
    for c in cases:
        if i < c.get("repeat", 1):
            send(c, i)
time.sleep(float(sys.argv[4]) if len(sys.argv) > 4 else 3.0)
sniffer.stop()
out = {c["name"]: [] for c in cases}
for p in sniffer.results or []:
    if BOOTP in p and p[BOOTP].op == 2 and p[BOOTP].xid in by_xid:
        out[by_xid[p[BOOTP].xid]].append(reply_of(p))
print(json.dumps(out))
