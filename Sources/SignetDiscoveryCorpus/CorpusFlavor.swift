/// The kinds of files secrets are hidden in, each with its own assignment syntax and filler, so
/// the corpus exercises the parser the way real repositories do.
enum CorpusFlavor: CaseIterable, Sendable {
    case dotenv, yaml, python, javascript, go, terraform, kubernetes, properties, json

    func path(_ service: String) -> String {
        switch self {
        case .dotenv: "services/\(service)/.env"
        case .yaml: "deploy/\(service)/config.yaml"
        case .python: "app/\(service)/settings.py"
        case .javascript: "web/\(service)/src/config.js"
        case .go: "cmd/\(service)/main.go"
        case .terraform: "infra/\(service)/main.tf"
        case .kubernetes: "k8s/\(service)/deployment.yaml"
        case .properties: "config/\(service)/application.properties"
        case .json: "config/\(service)/appsettings.json"
        }
    }

    func header(_ service: String) -> [String] {
        switch self {
        case .dotenv: ["# \(service) service environment", "NODE_ENV=production", "PORT=8080"]
        case .yaml: ["# \(service) configuration", "service:", "  name: \(service)", "  replicas: 3", "settings:"]
        case .python: ["\"\"\"Django settings for \(service).\"\"\"", "import os", "", "DEBUG = False", "ALLOWED_HOSTS = [\"\(service).corp.internal\"]"]
        case .javascript: ["'use strict';", "", "const path = require('path');", "", "module.exports = {};"]
        case .go: ["package main", "", "import (", "\t\"fmt\"", "\t\"os\"", ")", "", "func main() {", "\tfmt.Println(\"starting \(service)\")"]
        case .terraform: ["provider \"aws\" {", "  region = \"eu-west-1\"", "}", "", "locals {", "  service = \"\(service)\""]
        case .kubernetes: ["apiVersion: apps/v1", "kind: Deployment", "metadata:", "  name: \(service)", "spec:", "  template:",
                           "    spec:", "      containers:", "      - name: \(service)", "        image: registry.corp.internal/\(service):1.4.2", "        env:"]
        case .properties: ["# \(service)", "spring.application.name=\(service)", "server.port=8080"]
        case .json: ["{", "  \"name\": \"\(service)\","]
        }
    }

    func footer() -> [String] {
        switch self {
        case .go: ["\tos.Exit(0)", "}"]
        case .terraform: ["}"]
        case .json: ["  \"version\": 3", "}"]
        default: []
        }
    }

    /// The lines assigning `value` to setting `name`, and the index of the line holding the value.
    func assign(_ name: String, _ value: String) -> (lines: [String], valueLine: Int) {
        switch self {
        case .dotenv: (["\(name)=\(value)"], 0)
        case .yaml: (["  \(Self.snake(name)): \"\(value)\""], 0)
        case .python: (["\(name) = \"\(value)\""], 0)
        case .javascript: (["module.exports.\(Self.camel(name)) = '\(value)';"], 0)
        case .go: (["\t\(Self.camel(name)) := \"\(value)\""], 0)
        case .terraform: (["  \(Self.snake(name)) = \"\(value)\""], 0)
        case .kubernetes: (["        - name: \(name)", "          value: \"\(value)\""], 1)
        case .properties: (["\(Self.dotted(name))=\(value)"], 0)
        case .json: (["  \"\(Self.camel(name))\": \"\(value)\","], 0)
        }
    }

    /// Ordinary, secret-free lines typical of the flavor.
    func filler(_ r: inout CorpusRandom) -> [String] {
        let word = r.pick(["orders", "billing", "search", "ledger", "gateway", "catalog", "metrics", "audit"])
        let number = r.int(1...900)
        switch self {
        case .dotenv, .properties:
            let pairs = [("LOG_LEVEL", "info"), ("CACHE_TTL_SECONDS", "\(number)"), ("FEATURE_\(word.uppercased())_ENABLED", "true"),
                         ("UPSTREAM_HOST", "\(word).corp.internal"), ("REQUEST_TIMEOUT_MS", "\(number * 10)")]
            let (name, value) = r.pick(pairs)
            return assign(name, value).lines
        case .yaml:
            return [r.pick(["  timeout: \(number)s", "  log_level: info", "  upstream: http://\(word).corp.internal:8080",
                            "  max_connections: \(number)", "  # keep in sync with \(word)"])]
        case .python:
            return [r.pick(["TIME_ZONE = \"UTC\"", "CACHE_TIMEOUT = \(number)", "INSTALLED_APPS += [\"\(word)\"]",
                            "# See https://docs.djangoproject.com/en/5.0/ref/settings/", "LOGIN_URL = \"/\(word)/login\""])]
        case .javascript:
            return [r.pick(["module.exports.retries = \(number % 7);", "// \(word) client configuration",
                            "module.exports.baseUrl = 'https://\(word).corp.internal';", "const timeoutMs = \(number * 10);"])]
        case .go:
            return [r.pick(["\tfmt.Println(\"loading \(word)\")", "\ttimeout := \(number)", "\t// \(word): retry with backoff",
                            "\tif len(os.Args) > \(number % 5) {", "\t}"])]
        case .terraform:
            return [r.pick(["  instance_type = \"t3.medium\"", "  desired_count = \(number % 9 + 1)", "  # \(word) stack",
                            "  bucket_name = \"\(word)-artifacts-\(number)\""])]
        case .kubernetes:
            return assign(r.pick(["LOG_LEVEL", "GOMAXPROCS", "UPSTREAM"]), r.pick(["info", "\(number % 8 + 1)", "\(word):8080"])).lines
        case .json:
            return [r.pick(["  \"timeoutMs\": \(number * 10),", "  \"upstream\": \"https://\(word).corp.internal\",",
                            "  \"logLevel\": \"info\",", "  \"retries\": \(number % 5),"])]
        }
    }

    static func words(_ name: String) -> [String] { name.split(separator: "_").map { $0.lowercased() } }
    static func snake(_ name: String) -> String { words(name).joined(separator: "_") }
    static func dotted(_ name: String) -> String { words(name).joined(separator: ".") }
    static func camel(_ name: String) -> String {
        let parts = words(name)
        return parts.first! + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
