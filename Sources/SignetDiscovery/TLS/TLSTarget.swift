#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SignetCore

/// One endpoint to probe: a host name or IP literal and a TCP port.
public struct TLSTarget: Hashable, Sendable, CustomStringConvertible {
    /// A DNS name or an IP literal (IPv6 without brackets).
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// True when ``host`` is an IPv4 or IPv6 literal: no SNI is sent for it unless `--sni` says so.
    public var isIPAddress: Bool { IPAddressBytes.parse(host) != nil }

    /// `host:port`, or `[v6]:port`: the inventory location target.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A target argument that cannot be scanned, with what to write instead.
public struct TLSTargetError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Parses `HOST:PORT`, `[IPv6]:PORT`, `A.B.C.D/N:PORT` and `[IPv6/N]:PORT` arguments.
///
/// CIDR ranges are expanded to every address in them, and refused when larger than
/// ``maximumAddresses``: a typo such as `/8` must not start sixteen million handshakes.
public enum TLSTargetParser {
    /// The largest range (and the largest total) one scan accepts: a /16 of IPv4.
    public static let maximumAddresses = 65_536

    public static func parse(_ arguments: [String], maximumAddresses: Int = maximumAddresses) throws(TLSTargetError) -> [TLSTarget] {
        var targets: [TLSTarget] = []
        var seen: Set<TLSTarget> = []
        for argument in arguments {
            for target in try parse(argument, maximumAddresses: maximumAddresses) where seen.insert(target).inserted {
                targets.append(target)
                if targets.count > maximumAddresses {
                    throw TLSTargetError("the targets add up to more than \(maximumAddresses) endpoints; split the scan into smaller ranges")
                }
            }
        }
        return targets
    }

    public static func parse(_ argument: String, maximumAddresses: Int = maximumAddresses) throws(TLSTargetError) -> [TLSTarget] {
        let (hostPart, port) = try splitPort(argument)
        if let slash = hostPart.lastIndex(of: "/") {
            let base = String(hostPart[..<slash])
            guard let prefix = Int(hostPart[hostPart.index(after: slash)...]), let address = IPAddressBytes.parse(base),
                (0...address.count * 8).contains(prefix)
            else {
                throw TLSTargetError("\(argument): a range must be an IP address and a prefix length, e.g. 10.0.0.0/24:443 or [fd00::/120]:443")
            }
            let hostBits = address.count * 8 - prefix
            guard hostBits < 63, 1 << hostBits <= maximumAddresses else {
                throw TLSTargetError("\(argument): the range holds more than \(maximumAddresses) addresses; use a prefix of at least /\(address.count * 8 - 16)")
            }
            return IPAddressBytes.expand(address, prefix: prefix).map { TLSTarget(host: IPAddressBytes.format($0), port: port) }
        }
        guard !hostPart.isEmpty, !hostPart.contains(where: { $0 == " " || $0 == "/" }) else {
            throw TLSTargetError("\(argument): expected HOST:PORT, [IPv6]:PORT or CIDR:PORT")
        }
        if hostPart.contains(":"), IPAddressBytes.parse(hostPart) == nil {
            throw TLSTargetError("\(argument): \(hostPart) is not a valid IPv6 address")
        }
        return [TLSTarget(host: hostPart, port: port)]
    }

    private static func splitPort(_ argument: String) throws(TLSTargetError) -> (String, Int) {
        let host: Substring
        let portText: Substring
        if argument.hasPrefix("[") {
            guard let close = argument.firstIndex(of: "]"), argument[argument.index(after: close)...].hasPrefix(":") else {
                throw TLSTargetError("\(argument): write an IPv6 target as [ADDRESS]:PORT")
            }
            host = argument[argument.index(after: argument.startIndex)..<close]
            portText = argument[argument.index(close, offsetBy: 2)...]
        } else {
            guard let colon = argument.lastIndex(of: ":") else {
                throw TLSTargetError("\(argument): missing port; write HOST:PORT, e.g. \(argument):443")
            }
            host = argument[..<colon]
            portText = argument[argument.index(after: colon)...]
            if host.contains(":") {
                throw TLSTargetError("\(argument): write an IPv6 target in brackets, e.g. [\(host)]:\(portText)")
            }
        }
        guard let port = Int(portText), (1...65_535).contains(port) else {
            throw TLSTargetError("\(argument): the port must be a number between 1 and 65535")
        }
        return (String(host), port)
    }
}

/// IPv4/IPv6 literals as bytes, for CIDR expansion and IP SAN comparison.
enum IPAddressBytes {
    /// 4 bytes for IPv4, 16 for IPv6, nil for anything else (a host name).
    static func parse(_ text: String) -> [UInt8]? { IPAddress.parse(text) }

    static func format(_ bytes: [UInt8]) -> String { IPAddress.format(bytes) }

    /// Every address of `address/prefix`, network address first. The caller bounds the size.
    static func expand(_ address: [UInt8], prefix: Int) -> [[UInt8]] {
        let bits = address.count * 8
        var base = address
        for bit in prefix..<bits {
            base[bit / 8] &= ~(UInt8(0x80) >> UInt8(bit % 8))
        }
        let count = 1 << (bits - prefix)
        var result: [[UInt8]] = []
        result.reserveCapacity(count)
        for offset in 0..<count {
            var value = base
            var carry = offset
            var index = value.count - 1
            while carry > 0 && index >= 0 {
                let sum = Int(value[index]) + (carry & 0xFF)
                value[index] = UInt8(sum & 0xFF)
                carry = (carry >> 8) + (sum >> 8)
                index -= 1
            }
            result.append(value)
        }
        return result
    }
}
