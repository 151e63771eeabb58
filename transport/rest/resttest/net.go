package resttest

import "net"

// NonLoopbackIPv4 returns an IPv4 address of an interface of this machine
// that is up and neither loopback nor link-local, or "" when there is
// none: tests dial it to be a client whose TCP peer address is not
// loopback, or to reach a listener on another interface.
func NonLoopbackIPv4() string {
	ifaces, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
				return n.IP.String()
			}
		}
	}
	return ""
}
