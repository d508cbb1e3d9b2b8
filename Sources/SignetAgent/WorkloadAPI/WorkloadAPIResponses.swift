import Foundation
import SignetCore
import SignetPKI
import SwiftProtobuf

/// The Workload API messages for one snapshot and one caller: always the complete current
/// state (streams never send diffs), built the same way each time so that equal state gives an
/// equal message and unchanged state is not resent.
extension AgentSnapshot {
    /// The own trust domain's roots, concatenated DER, as `bundle` and bundle maps carry them.
    var bundleDER: Data {
        var data = Data()
        for root in bundleRootsDER { data.append(contentsOf: root) }
        return data
    }

    /// nil when the caller has no X.509-SVID (no entry matches, or none has a current SVID).
    func x509SVIDResponse(for selectors: Set<Selector>) -> X509SVIDResponse? {
        let svids = x509SVIDs(for: selectors)
        guard !svids.isEmpty else { return nil }
        let bundle = bundleDER
        var response = X509SVIDResponse()
        // Only the domains this workload's entries federate with, keyed by trust domain SPIFFE ID.
        for td in federatedDomains(for: selectors) {
            if let federated = federatedBundles[td], !federated.rootsDER.isEmpty {
                response.federatedBundles[td.idString] = Data(federated.rootsDER)
            }
        }
        response.svids = svids.map { svid in
            var message = X509SVID()
            message.spiffeID = svid.spiffeID.description
            var chain = Data()
            for certificate in svid.chainDER { chain.append(contentsOf: certificate) }
            message.x509Svid = chain
            message.x509SvidKey = Data(svid.keyPKCS8)
            message.bundle = bundle
            return message
        }
        return response
    }

    /// The own domain's roots plus those of every federated domain the caller's entries name.
    func x509BundlesResponse(for selectors: Set<Selector>) -> X509BundlesResponse {
        var response = X509BundlesResponse()
        response.bundles = [trustDomain.idString: bundleDER]
        for td in federatedDomains(for: selectors) {
            if let federated = federatedBundles[td], !federated.rootsDER.isEmpty {
                response.bundles[td.idString] = Data(federated.rootsDER)
            }
        }
        return response
    }

    /// The own domain's JWT bundle plus that of every federated domain the caller's entries name.
    func jwtBundlesResponse(for selectors: Set<Selector>) -> JWTBundlesResponse {
        var response = JWTBundlesResponse()
        response.bundles = [trustDomain.idString: Data(bundleJSON)]
        for td in federatedDomains(for: selectors) {
            // A domain without JWT keys is left out: clients refuse an empty key set, and absent means the same.
            if let federated = federatedBundles[td], !federated.jwtKeys.isEmpty {
                response.bundles[td.idString] = Data(federated.jwtBundleJSON)
            }
        }
        return response
    }
}

extension VerifiedJWT {
    /// Every claim of the token as a protobuf Struct: registered claims with their JSON types
    /// (`aud` always a list, times as numbers), then any others as they were.
    var claimsStruct: Google_Protobuf_Struct {
        var fields: [String: Google_Protobuf_Value] = [:]
        fields["sub"] = Google_Protobuf_Value(stringValue: claims.sub)
        fields["aud"] = Google_Protobuf_Value(
            listValue: Google_Protobuf_ListValue(values: claims.aud.map { Google_Protobuf_Value(stringValue: $0) }))
        fields["exp"] = Google_Protobuf_Value(numberValue: claims.exp.timeIntervalSince1970)
        if let iat = claims.iat { fields["iat"] = Google_Protobuf_Value(numberValue: iat.timeIntervalSince1970) }
        if let nbf = claims.nbf { fields["nbf"] = Google_Protobuf_Value(numberValue: nbf.timeIntervalSince1970) }
        if let iss = claims.iss { fields["iss"] = Google_Protobuf_Value(stringValue: iss) }
        if let jti = claims.jti { fields["jti"] = Google_Protobuf_Value(stringValue: jti) }
        for (name, value) in claims.extra where fields[name] == nil {
            fields[name] = Self.protobufValue(value)
        }
        return Google_Protobuf_Struct(fields: fields)
    }

    static func protobufValue(_ value: JSONValue) -> Google_Protobuf_Value {
        switch value {
        case .null: nil
        case .bool(let bool): Google_Protobuf_Value(boolValue: bool)
        case .number(let number): Google_Protobuf_Value(numberValue: number)
        case .string(let string): Google_Protobuf_Value(stringValue: string)
        case .array(let values): Google_Protobuf_Value(listValue: Google_Protobuf_ListValue(values: values.map(protobufValue)))
        case .object(let members): Google_Protobuf_Value(structValue: Google_Protobuf_Struct(fields: members.mapValues(protobufValue)))
        }
    }
}
