/// Secrets that span several lines or need a whole document: private-key blocks in every
/// supported armour, GCP service-account files, Docker registry configs.
enum MultiLineSecrets {
    static func files(_ r: inout CorpusRandom) -> [FileBuilder] {
        var files: [FileBuilder] = []

        func pem(_ label: String, _ body: String, headers: [String] = []) -> [String] {
            ["-----BEGIN \(label)-----"] + headers + PEMBodies.lines(body) + ["-----END \(label)-----"]
        }
        func keyFile(_ path: String, _ detector: String, _ lines: [String], comment: Bool = false) {
            var file = FileBuilder(path: path)
            if comment { file.append(["# deploy key for the build farm, rotate yearly"]) }
            file.plant(detector, value: lines[1...].joined(), lines: lines, valueLine: 0)
            files.append(file)
        }

        let rsa = PEMBodies.der([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00], &r, length: 1180)
        keyFile("keys/deploy_rsa", "private-key-rsa", pem("RSA PRIVATE KEY", rsa))
        keyFile("keys/legacy_encrypted_rsa.pem", "private-key-rsa", pem(
            "RSA PRIVATE KEY", CorpusEncoding.base64(r.bytes(1190)),
            headers: ["Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-128-CBC,\(r.hex(32).uppercased())", ""]))
        keyFile("keys/ec.pem", "private-key-ec", pem("EC PRIVATE KEY", PEMBodies.der([0x30, 0x77, 0x02, 0x01, 0x01], &r, length: 116)), comment: true)
        keyFile("keys/dsa.pem", "private-key-dsa", pem("DSA PRIVATE KEY", PEMBodies.der([0x30, 0x82, 0x01, 0xBB], &r, length: 440)))
        let pkcs8 = PEMBodies.der([0x30, 0x82, 0x04, 0xBE, 0x02, 0x01, 0x00, 0x30, 0x0D], &r, length: 1210)
        keyFile("keys/service.key", "private-key-pkcs8", pem("PRIVATE KEY", pkcs8))
        keyFile("keys/encrypted.pem", "private-key-pkcs8", pem("ENCRYPTED PRIVATE KEY", PEMBodies.der([0x30, 0x82, 0x05, 0x1E], &r, length: 1300)))
        keyFile("ssh/id_ed25519", "private-key-openssh", pem("OPENSSH PRIVATE KEY", PEMBodies.openssh(cipher: "none", &r)))
        keyFile("ssh/id_ed25519_protected", "private-key-openssh", pem("OPENSSH PRIVATE KEY", PEMBodies.openssh(cipher: "aes256-ctr", &r)))
        keyFile("keys/signing.asc", "private-key-pgp", pem(
            "PGP PRIVATE KEY BLOCK", "lQOYBF" + r.base64(1400), headers: ["Version: GnuPG v2", ""]))

        var putty = FileBuilder(path: "keys/bastion.ppk")
        let puttyLines = ["PuTTY-User-Key-File-3: ssh-ed25519", "Encryption: none", "Comment: bastion", "Public-Lines: 2",
                          "AAAAC3NzaC1lZDI1NTE5AAAAI" + r.base64(39), r.base64(20), "Private-Lines: 1", r.base64(44),
                          "Private-MAC: " + r.hex(64)]
        putty.plant("private-key-putty", value: puttyLines[7], lines: puttyLines, valueLine: 0)
        files.append(putty)

        // A key embedded in a Kubernetes secret, indented under a YAML block scalar.
        var tls = FileBuilder(path: "k8s/ingress/tls-secret.yaml")
        tls.append(["apiVersion: v1", "kind: Secret", "metadata:", "  name: ingress-tls", "type: kubernetes.io/tls", "stringData:", "  tls.key: |"])
        let embedded = pem("PRIVATE KEY", PEMBodies.der([0x30, 0x82, 0x04, 0xBD, 0x02, 0x01, 0x00], &r, length: 1200)).map { "    " + $0 }
        tls.plant("private-key-pkcs8", value: embedded[1...].joined(), lines: embedded, valueLine: 0)
        files.append(tls)

        // A key pasted into source code as a triple-quoted string.
        var script = FileBuilder(path: "scripts/deploy.py")
        script.append(["import paramiko", "", "# TODO: move to the secret store"])
        let inline = pem("RSA PRIVATE KEY", PEMBodies.der([0x30, 0x82, 0x04, 0xA3, 0x02, 0x01, 0x00], &r, length: 1180))
        var inlineLines = inline
        inlineLines[0] = "DEPLOY_KEY = \"\"\"" + inlineLines[0]
        inlineLines[inlineLines.count - 1] += "\"\"\""
        script.plant("private-key-rsa", value: inline[1...].joined(), lines: inlineLines, valueLine: 0)
        script.append(["", "def connect(host):", "    return paramiko.RSAKey.from_private_key(io.StringIO(DEPLOY_KEY))"])
        files.append(script)

        for index in 0..<2 {
            var account = FileBuilder(path: "gcp/service-account-\(index).json")
            let body = PEMBodies.lines(PEMBodies.der([0x30, 0x82, 0x04, 0xBE, 0x02, 0x01, 0x00], &r, length: 1200)).joined(separator: "\\n")
            let project = "corp-\(r.hex(6))"
            account.append(["{", "  \"type\": \"service_account\",", "  \"project_id\": \"\(project)\",",
                            "  \"private_key_id\": \"\(r.hex(40))\","])
            account.plant("gcp-service-account", value: body, lines: [
                "  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n\(body)\\n-----END PRIVATE KEY-----\\n\",",
            ], valueLine: 0)
            account.append(["  \"client_email\": \"deployer@\(project).iam.gserviceaccount.com\",",
                            "  \"client_id\": \"\(r.digits(21))\",", "  \"token_uri\": \"https://oauth2.googleapis.com/token\"", "}"])
            files.append(account)
        }

        for path in [".docker/config.json", "ci/docker/config.json"] {
            var docker = FileBuilder(path: path)
            let auth = CorpusEncoding.base64(Array("ci-bot:\(r.alphanumeric(24))".utf8))
            docker.append(["{", "  \"auths\": {", "    \"registry.corp.internal\": {"])
            docker.plant("docker-config-auth", value: auth, lines: ["      \"auth\": \"\(auth)\""], valueLine: 0)
            docker.append(["    }", "  },", "  \"credsStore\": \"\"", "}"])
            files.append(docker)
        }
        return files
    }
}
