import Foundation
import SignetCore
import Testing

@testable import SignetDiscovery

/// `aws iam get-account-authorization-details` output: users with groups and inline policies, roles
/// with trust policies (as objects and as URL-encoded strings, the raw API's form), managed policies
/// with several versions.
@Suite struct AWSAuthorizationDetailsImportTests {
    /// The ci-deployer role's trust policy as the raw IAM API returns it: URL-encoded JSON.
    static let encodedTrustPolicy = """
        %7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%5B%22arn%3Aaws%3Aiam%3A%3A210987654321%3Aroot%22%5D%2C%22Federated%22%3A%22arn%3Aaws%3Aiam%3A%3A123456789012%3Aoidc-provider%2Ftoken.actions.githubusercontent.com%22%7D%2C%22Action%22%3A%5B%22sts%3AAssumeRole%22%2C%22sts%3AAssumeRoleWithWebIdentity%22%5D%7D%5D%7D
        """

    static let details = """
        {
            "UserDetailList": [
                {
                    "Path": "/",
                    "UserName": "alice",
                    "UserId": "AIDA2EXAMPLEALICE0001",
                    "Arn": "arn:aws:iam::123456789012:user/alice",
                    "CreateDate": "2020-01-15T10:00:00+00:00",
                    "UserPolicyList": [
                        {
                            "PolicyName": "read-reports-bucket",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]}
                            }
                        }
                    ],
                    "GroupList": ["Admins", "Developers"],
                    "AttachedManagedPolicies": [],
                    "Tags": [{"Key": "Owner", "Value": "platform-team"}]
                },
                {
                    "Path": "/automation/",
                    "UserName": "ci-deploy",
                    "UserId": "AIDA2EXAMPLECIDEPLOY1",
                    "Arn": "arn:aws:iam::123456789012:user/automation/ci-deploy",
                    "CreateDate": "2021-07-07T07:07:07Z",
                    "UserPolicyList": [
                        {
                            "PolicyName": "pass-any-role",
                            "PolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%5B%22iam%3APassRole%22%2C%22iam%3A*%22%5D%2C%22Resource%22%3A%22*%22%7D%5D%7D"
                        }
                    ],
                    "GroupList": [],
                    "AttachedManagedPolicies": [
                        {"PolicyName": "DeployEC2", "PolicyArn": "arn:aws:iam::123456789012:policy/DeployEC2"}
                    ],
                    "PermissionsBoundary": {
                        "PermissionsBoundaryType": "Policy",
                        "PermissionsBoundaryArn": "arn:aws:iam::123456789012:policy/ci-boundary"
                    },
                    "Tags": []
                }
            ],
            "GroupDetailList": [
                {
                    "Path": "/",
                    "GroupName": "Admins",
                    "GroupId": "AGPA2EXAMPLEADMINS001",
                    "Arn": "arn:aws:iam::123456789012:group/Admins",
                    "CreateDate": "2019-03-04T08:30:00Z",
                    "GroupPolicyList": [],
                    "AttachedManagedPolicies": [
                        {"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
                    ]
                },
                {
                    "Path": "/",
                    "GroupName": "Developers",
                    "GroupId": "AGPA2EXAMPLEDEVS00001",
                    "Arn": "arn:aws:iam::123456789012:group/Developers",
                    "CreateDate": "2019-03-04T08:31:00Z",
                    "GroupPolicyList": [
                        {
                            "PolicyName": "logs-everywhere",
                            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["logs:*", "cloudwatch:Get*"], "Resource": "*"}]}
                        }
                    ],
                    "AttachedManagedPolicies": [
                        {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
                    ]
                }
            ],
            "RoleDetailList": [
                {
                    "Path": "/",
                    "RoleName": "ec2-app",
                    "RoleId": "AROA2EXAMPLEEC2APP001",
                    "Arn": "arn:aws:iam::123456789012:role/ec2-app",
                    "CreateDate": "2022-03-01T00:00:00Z",
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
                    },
                    "InstanceProfileList": [],
                    "RolePolicyList": [
                        {
                            "PolicyName": "everything-but-iam",
                            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                                {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"},
                                {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}
                            ]}
                        }
                    ],
                    "AttachedManagedPolicies": [],
                    "Tags": [{"Key": "team", "Value": "payments"}],
                    "RoleLastUsed": {"LastUsedDate": "2024-05-09T23:10:00Z", "Region": "us-east-1"}
                },
                {
                    "Path": "/service-role/",
                    "RoleName": "ci-deployer",
                    "RoleId": "AROA2EXAMPLECIDEPLOY1",
                    "Arn": "arn:aws:iam::123456789012:role/service-role/ci-deployer",
                    "CreateDate": "2023-04-01T00:00:00Z",
                    "AssumeRolePolicyDocument": "\(encodedTrustPolicy)",
                    "InstanceProfileList": [],
                    "RolePolicyList": [],
                    "AttachedManagedPolicies": [
                        {"PolicyName": "DeployEC2", "PolicyArn": "arn:aws:iam::123456789012:policy/DeployEC2"},
                        {"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
                    ],
                    "Tags": [],
                    "RoleLastUsed": {}
                }
            ],
            "Policies": [
                {
                    "PolicyName": "AdministratorAccess",
                    "PolicyId": "ANPAIWMBCKSKIEE64ZLYK",
                    "Arn": "arn:aws:iam::aws:policy/AdministratorAccess",
                    "Path": "/",
                    "DefaultVersionId": "v1",
                    "AttachmentCount": 2,
                    "PermissionsBoundaryUsageCount": 0,
                    "IsAttachable": true,
                    "CreateDate": "2015-02-06T18:39:46Z",
                    "UpdateDate": "2015-02-06T18:39:46Z",
                    "PolicyVersionList": [
                        {"Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}, "VersionId": "v1", "IsDefaultVersion": true, "CreateDate": "2015-02-06T18:39:46Z"}
                    ]
                },
                {
                    "PolicyName": "DeployEC2",
                    "PolicyId": "ANPA2EXAMPLEDEPLOYEC2",
                    "Arn": "arn:aws:iam::123456789012:policy/DeployEC2",
                    "Path": "/",
                    "DefaultVersionId": "v2",
                    "AttachmentCount": 2,
                    "PermissionsBoundaryUsageCount": 0,
                    "IsAttachable": true,
                    "CreateDate": "2021-07-07T07:00:00Z",
                    "UpdateDate": "2023-01-01T00:00:00Z",
                    "PolicyVersionList": [
                        {"Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ec2:*", "elasticloadbalancing:*"], "Resource": "*"}]}, "VersionId": "v2", "IsDefaultVersion": true, "CreateDate": "2023-01-01T00:00:00Z"},
                        {"Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}, "VersionId": "v1", "IsDefaultVersion": false, "CreateDate": "2021-07-07T07:00:00Z"}
                    ]
                }
            ]
        }
        """

    func item(_ result: ImportResult, _ name: String) throws -> InventoryItem {
        try #require(result.items.first { $0.name == name }, "no item named \(name)")
    }

    @Test func usersAndRolesWithEffectivePrivileges() throws {
        let result = try ImportFixtures.parse(Self.details, .awsAuthorizationDetails, source: "auth-details.json")
        #expect(result.recordsRead == 8)
        #expect(result.items.map(\.name) == ["alice", "ci-deploy", "ec2-app", "ci-deployer"])
        // ReadOnlyAccess is attached through Developers but not listed under Policies.
        #expect(result.warnings == ["managed policy arn:aws:iam::aws:policy/ReadOnlyAccess is not in Policies; only its name was recorded"])

        let alice = try item(result, "alice")
        #expect(alice.kind == .cloudAccessKey)
        #expect(alice.fingerprint == ImportFixtures.sha256("aws-principal:arn:aws:iam::123456789012:user/alice"))
        #expect(alice.detector == "import:aws-authorization-details")
        // Group-attached managed policies, then inline policies (own, then the groups'), then the
        // wildcard actions they allow on every resource. s3:* on one bucket is not account-wide.
        #expect(alice.privileges == ["AdministratorAccess", "ReadOnlyAccess", "read-reports-bucket", "logs-everywhere", "*", "logs:*"])
        #expect(alice.attributes == [
            "principal_type": "user", "arn": "arn:aws:iam::123456789012:user/alice", "account": "123456789012",
            "path": "/", "groups": "Admins,Developers",
        ])
        #expect(alice.owner == "platform-team")
        #expect(alice.ownerSource == "source")
        #expect(alice.created == ImportFixtures.date("2020-01-15T10:00:00Z"))
        #expect(alice.locations.map(\.type) == ["account"])
        #expect(alice.locations.map(\.target) == ["arn:aws:iam::123456789012:user/alice"])

        let ci = try item(result, "ci-deploy")
        // Only the default version (v2) of DeployEC2 counts; the URL-encoded inline policy is decoded.
        #expect(ci.privileges == ["DeployEC2", "pass-any-role", "ec2:*", "elasticloadbalancing:*", "iam:*"])
        #expect(ci.attributes["permissions_boundary"] == "arn:aws:iam::123456789012:policy/ci-boundary")
        #expect(ci.attributes["groups"] == nil)
        #expect(ci.owner == nil)

        let app = try item(result, "ec2-app")
        #expect(app.fingerprint == ImportFixtures.sha256("aws-principal:arn:aws:iam::123456789012:role/ec2-app"))
        #expect(app.privileges == ["everything-but-iam", "* except iam:*,organizations:*"])
        #expect(app.attributes["principal_type"] == "role")
        #expect(app.attributes["trusted_principals"] == "ec2.amazonaws.com")
        #expect(app.lastUsed == ImportFixtures.date("2024-05-09T23:10:00Z"))
        #expect(app.owner == "payments")

        let deployer = try item(result, "ci-deployer")
        #expect(deployer.privileges == ["DeployEC2", "AdministratorAccess", "*", "ec2:*", "elasticloadbalancing:*"])
        #expect(deployer.attributes["trusted_principals"] ==
            "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com,arn:aws:iam::210987654321:root")
        #expect(deployer.attributes["path"] == "/service-role/")
        #expect(deployer.lastUsed == nil)
    }

    @Test func rolesOnlyDocumentIsAccepted() throws {
        let text = """
            {"RoleDetailList": [{"RoleName": "r", "Arn": "arn:aws:iam::123456789012:role/r", "AssumeRolePolicyDocument": {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}}}]}
            """
        let result = try ImportFixtures.parse(text, .awsAuthorizationDetails)
        #expect(result.items.count == 1)
        #expect(result.items.first?.attributes["trusted_principals"] == "*")
        #expect(result.items.first?.privileges == [])
    }

    // MARK: - Malformed documents

    @Test func invalidJSONNamesLineAndColumn() throws {
        let text = "{\n  \"UserDetailList\": [\n    {\"UserName\": \"a\",}\n  ]\n}"
        let error = try #require(ImportFixtures.importError(text, .awsAuthorizationDetails))
        #expect(error.record == "line 3, column 22")
        #expect(error.problem.hasPrefix("invalid JSON"))
    }

    @Test func notAnAuthorizationDetailsDocument() throws {
        let error = try #require(ImportFixtures.importError("{\"entries\": []}", .awsAuthorizationDetails))
        #expect(error.expected.contains("get-account-authorization-details"))
    }

    @Test func missingArnNamesTheUser() throws {
        let text = Self.details.replacingOccurrences(
            of: "\"Arn\": \"arn:aws:iam::123456789012:user/automation/ci-deploy\",", with: "")
        let error = try #require(ImportFixtures.importError(text, .awsAuthorizationDetails))
        #expect(error.record == "input.UserDetailList[1] (user ci-deploy)")
        #expect(error.field == "Arn")
    }

    @Test func undecodablePolicyDocument() throws {
        let text = Self.details.replacingOccurrences(of: "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action", with: "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%%%")
        let error = try #require(ImportFixtures.importError(text, .awsAuthorizationDetails))
        #expect(error.record == "input.UserDetailList[1].UserPolicyList[0].PolicyDocument (user ci-deploy)")
        #expect(error.problem.contains("does not decode"))
    }

    @Test func invalidEffectAndDate() throws {
        let effect = Self.details.replacingOccurrences(of: "{\"Effect\": \"Deny\", \"Action\": \"*\"", with: "{\"Effect\": \"Maybe\", \"Action\": \"*\"")
        let effectError = try #require(ImportFixtures.importError(effect, .awsAuthorizationDetails))
        #expect(effectError.field == "Effect")
        #expect(effectError.expected == "Allow or Deny")

        let date = Self.details.replacingOccurrences(of: "\"2022-03-01T00:00:00Z\"", with: "\"01/03/2022\"")
        let dateError = try #require(ImportFixtures.importError(date, .awsAuthorizationDetails))
        #expect(dateError.record == "input.RoleDetailList[0] (role ec2-app)")
        #expect(dateError.field == "CreateDate")
    }
}
