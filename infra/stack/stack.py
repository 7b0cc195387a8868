"""The real stack on an emulator: infra/template.yaml, unchanged, deployed to ministack.

    stack.py up     zip the functions, transform the SAM template offline, apply the
                    emulator's shims, deploy, put the secrets, seed, create staff users,
                    write target/stack/outputs.json and print how to reach it
    stack.py token NAME
                    a real ID token from the stack's Cognito pool for a staff user (SRP
                    sign-in, as a browser would); NAME is ADMIN, SUPERVISOR, OPERATOR, …
    stack.py target write target/stack/target.json for the black-box suite (the API,
                    the outputs, a fresh token per role, the secrets, the SMS record)
    stack.py down   delete the stack (ministack stops the function processes)
    stack.py smoke STAGE
                    write target/smoke/target.json for a deployed stage (AWS credentials
                    from the environment; SMOKE_USER, SMOKE_PASSWORD and SMOKE_TOTP_SECRET
                    name a test user in the supervisor group): `make smoke` runs the
                    suite's smoke module against it

The emulator's gaps and why each shim exists: docs/operations.md, "The stack tier".
Only the shims listed there are applied, here and never in the template.
"""

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "target" / "stack"
ENDPOINT = os.environ.get("STACK_ENDPOINT", "http://127.0.0.1:4566")
REGION = "ap-southeast-3"
STACK = os.environ.get("STACK_NAME", "sigap-stack")
CODE_BUCKET = "sigap-stack-code"
# The stage's parameters as samconfig's dev stage gives them, plus the emulator's
# architecture (shim 5: it runs the host's x86_64 binaries).
PARAMETERS = {
    "Stage": "dev",
    "Architecture": "x86_64",
    "PanicPathReservedConcurrency": "0",
    "WebIntakeConcurrency": "0",
    # The staff console's development sign-in, as devstack has it
    # (infra/local/src/provision.rs, LOCAL_PARAMETERS); deployed stages leave it empty.
    "ConsoleDevSignInKeyParameter": "/sigap/local/console-dev-sign-in-key",
    # WhatsApp on, as in devstack, against the fake Graph API the suite's whatsapp
    # module serves on this port (the functions run as local processes here).
    "WhatsAppPhoneNumberId": "100000000000001",
    "WhatsAppGraphUrl": "http://127.0.0.1:4598",
}
# One staff user per role, in the groups devstack's demo tokens carry.
STAFF = {
    "ADMIN": "admin",
    "SUPERVISOR": "supervisor",
    "OPERATOR": "operator",
    "RESPONDER": "responder:polsek-coblong",
    "DSDABM": "agency:dsdabm",
    "DLH": "agency:dlh",
    "DISHUB": "agency:dishub",
}
STAFF_PASSWORD = "Stack-tier-only-1"


def client(service):
    """A boto3 client on the emulator, with its dummy credentials."""
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 3}),
    )


def dev_secret(name):
    """The value devstack stores for a secret parameter (infra/local/src/provision.rs)."""
    return f"devstack-only{name}"


def zip_functions(template):
    """One zip per function from the debug binaries `make stack` built, stripped of
    their debug info (350 MB each with it, about 30 MB without)."""
    zips = {}
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        package = Path(resource["Properties"]["CodeUri"]).name
        binary = ROOT / "target" / "debug" / package
        if not binary.exists():
            sys.exit(f"{binary} is missing: `cargo build -p {package}` first")
        stripped = OUT / f"{package}.bootstrap"
        subprocess.run(["strip", "-o", str(stripped), str(binary)], check=True)
        path = OUT / f"{package}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            info = zipfile.ZipInfo("bootstrap")
            info.external_attr = 0o755 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, stripped.read_bytes())
        resource["Properties"]["CodeUri"] = {"Bucket": CODE_BUCKET, "Key": f"{package}.zip"}
        zips[package] = path
    return zips


def transform(template):
    """SAM → CloudFormation offline, with the pinned translator (shim 6)."""
    from samtranslator.translator.transform import transform as sam_transform

    class NoManagedPolicies:
        def load(self):
            return {}

    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    return sam_transform(template, {}, NoManagedPolicies())


def expand_http_api(template):
    """Shim 1: ministack ignores an HTTP API's OpenAPI `Body`, where SAM puts the routes;
    the same routes, authorizer and integrations as explicit resources."""
    resources = template["Resources"]
    for api_name, api in list(resources.items()):
        if api["Type"] != "AWS::ApiGatewayV2::Api" or "Body" not in api["Properties"]:
            continue
        body = api["Properties"].pop("Body")
        api["Properties"].update({"Name": {"Ref": "AWS::StackName"}, "ProtocolType": "HTTP"})
        authorizers = {}
        for scheme, spec in body.get("components", {}).get("securitySchemes", {}).items():
            config = spec["x-amazon-apigateway-authorizer"]
            logical = f"{api_name}{scheme}Authorizer"
            resources[logical] = {
                "Type": "AWS::ApiGatewayV2::Authorizer",
                "Properties": {
                    "ApiId": {"Ref": api_name},
                    "AuthorizerType": "JWT",
                    "Name": scheme,
                    "IdentitySource": [config["identitySource"]],
                    "JwtConfiguration": {
                        "Issuer": config["jwtConfiguration"]["issuer"],
                        "Audience": config["jwtConfiguration"]["audience"],
                    },
                },
            }
            authorizers[scheme] = logical
        integrations = {}
        for n, (path, operations) in enumerate(sorted(body["paths"].items())):
            for method, operation in operations.items():
                integration = operation["x-amazon-apigateway-integration"]
                # ...functions/${XFunction.Arn}/invocations → XFunction
                function = integration["uri"]["Fn::Sub"].split("${")[-1].split(".Arn}")[0]
                if function not in integrations:
                    logical = f"{api_name}{function}Integration"
                    resources[logical] = {
                        "Type": "AWS::ApiGatewayV2::Integration",
                        "Properties": {
                            "ApiId": {"Ref": api_name},
                            "IntegrationType": "AWS_PROXY",
                            "IntegrationUri": {"Fn::GetAtt": [function, "Arn"]},
                            "PayloadFormatVersion": integration["payloadFormatVersion"],
                        },
                    }
                    integrations[function] = logical
                route = {
                    "ApiId": {"Ref": api_name},
                    "RouteKey": f"{method.upper()} {path}",
                    "Target": {"Fn::Join": ["/", ["integrations", {"Ref": integrations[function]}]]},
                }
                for requirement in operation.get("security", []):
                    for scheme in requirement:
                        route["AuthorizationType"] = "JWT"
                        route["AuthorizerId"] = {"Ref": authorizers[scheme]}
                resources[f"{api_name}Route{n}{method.capitalize()}"] = {
                    "Type": "AWS::ApiGatewayV2::Route",
                    "Properties": route,
                }
        # The stage's route settings name routes that must exist first.
        for resource in resources.values():
            if resource["Type"] == "AWS::ApiGatewayV2::Stage":
                resource["DependsOn"] = [
                    name for name, r in resources.items() if r["Type"] == "AWS::ApiGatewayV2::Route"
                ]
    return template


def wait_for(cloudformation, want):
    """Waits for the stack to reach `want`, failing with its events otherwise."""
    for _ in range(600):
        try:
            stack = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
        except cloudformation.exceptions.ClientError:
            if want == "DELETE_COMPLETE":
                return None
            raise
        status = stack["StackStatus"]
        if status == want:
            return stack
        if status.endswith("FAILED") or status.endswith("ROLLBACK_COMPLETE"):
            events = cloudformation.describe_stack_events(StackName=STACK)["StackEvents"]
            reasons = [
                f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}"
                for e in events
                if e.get("ResourceStatusReason")
            ]
            sys.exit(f"stack {STACK} is {status}:\n" + "\n".join(reasons[:20]))
        time.sleep(0.5)
    sys.exit(f"stack {STACK} never reached {want}")


def put_secrets(template):
    """The secret parameters the functions name, as devstack creates them."""
    ssm = client("ssm")
    names = {
        PARAMETERS.get(key, p.get("Default"))
        for key, p in template["Parameters"].items()
        if key.endswith("Parameter") and PARAMETERS.get(key, p.get("Default"))
    }
    for name in sorted(names):
        ssm.put_parameter(Name=name, Value=dev_secret(name), Type="SecureString", Overwrite=True)
    return names


def create_staff(pool, app_client):
    """One user per role in the stack's pool, with a permanent password."""
    cognito = client("cognito-idp")
    existing = {g["GroupName"] for g in cognito.list_groups(UserPoolId=pool)["Groups"]}
    for name, group in STAFF.items():
        if group not in existing:
            cognito.create_group(UserPoolId=pool, GroupName=group)
        username = f"{name.lower()}@stack.sigap.test"
        try:
            cognito.admin_create_user(
                UserPoolId=pool,
                Username=username,
                MessageAction="SUPPRESS",
                UserAttributes=[
                    {"Name": "email", "Value": username},
                    {"Name": "email_verified", "Value": "true"},
                ],
            )
        except cognito.exceptions.UsernameExistsException:
            pass
        cognito.admin_set_user_password(
            UserPoolId=pool, Username=username, Password=STAFF_PASSWORD, Permanent=True
        )
        cognito.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName=group)


def id_token(outputs, name):
    """An ID token for the stack tier's staff user NAME."""
    return sign_in(
        client("cognito-idp"), outputs, f"{name.lower()}@stack.sigap.test", STAFF_PASSWORD
    )


def sign_in(cognito, outputs, username, password, totp_secret=None):
    """An ID token by SRP, the only password flow the client allows, answering the
    pool's TOTP challenge when it sets one (the emulator does not; AWS does, MFA on)."""
    from pycognito.aws_srp import AWSSRP
    from pycognito.exceptions import SoftwareTokenMFAChallengeException

    srp = AWSSRP(
        username=username,
        password=password,
        pool_id=outputs["UserPoolId"],
        client_id=outputs["UserPoolClientId"],
        client=cognito,
    )
    try:
        tokens = srp.authenticate_user()
        if tokens.get("ChallengeName") == "MFA_SETUP":
            tokens = enroll_totp(cognito, outputs, username, tokens["Session"])
        return tokens["AuthenticationResult"]["IdToken"]
    except SoftwareTokenMFAChallengeException as challenge:
        if not totp_secret:
            sys.exit(f"{username} must answer a TOTP challenge: set SMOKE_TOTP_SECRET")
        answered = cognito.respond_to_auth_challenge(
            ClientId=outputs["UserPoolClientId"],
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=challenge.get_tokens()["Session"],
            ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": totp(totp_secret)},
        )
        return answered["AuthenticationResult"]["IdToken"]


def enroll_totp(cognito, outputs, username, session):
    """A user's first sign-in with MFA on: sets up an authenticator secret, proves it
    with a code, and prints it once (keep it as SMOKE_TOTP_SECRET)."""
    association = cognito.associate_software_token(Session=session)
    secret = association["SecretCode"]
    verified = cognito.verify_software_token(
        Session=association["Session"], UserCode=totp(secret), FriendlyDeviceName="make smoke"
    )
    print(f"{username} now has an authenticator: keep SMOKE_TOTP_SECRET={secret} "
          "with its password (shown once)", file=sys.stderr)
    return cognito.respond_to_auth_challenge(
        ClientId=outputs["UserPoolClientId"],
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": username},
    )


def totp(secret, at=None):
    """The RFC 6238 code (SHA-1, 30 s, 6 digits) an authenticator app shows for a
    base32 secret, as Cognito's software-token MFA checks it (make stack-test runs
    this example, RFC 6238's first SHA-1 vector):

    >>> totp("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", at=59)
    '287082'
    """
    import base64
    import hashlib
    import hmac
    import struct

    key = base64.b32decode(secret.upper().replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    counter = int((time.time() if at is None else at) // 30)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{code % 1_000_000:06d}"


def up():
    """Deploys the stack and writes target/stack/outputs.json."""
    from samtranslator.yaml_helper import yaml_parse

    OUT.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    template = yaml_parse((ROOT / "infra" / "template.yaml").read_text())
    zips = zip_functions(template)
    names = put_secrets(template)
    deployable = expand_http_api(transform(template))
    (OUT / "template.json").write_text(json.dumps(deployable, indent=1))

    s3 = client("s3")
    try:
        s3.create_bucket(
            Bucket=CODE_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    for package, path in zips.items():
        s3.upload_file(str(path), CODE_BUCKET, f"{package}.zip")
    s3.upload_file(str(OUT / "template.json"), CODE_BUCKET, "template.json")

    cloudformation = client("cloudformation")
    # Shim 2: over 51,200 bytes only a path-style template URL is accepted.
    cloudformation.create_stack(
        StackName=STACK,
        TemplateURL=f"{ENDPOINT}/{CODE_BUCKET}/template.json",
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMETERS.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = wait_for(cloudformation, "CREATE_COMPLETE")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    api_id = next(
        r["PhysicalResourceId"]
        for r in cloudformation.describe_stack_resources(StackName=STACK)["StackResources"]
        if r["ResourceType"] == "AWS::ApiGatewayV2::Api"
    )
    # The emulator serves the API under its own path, not the API's AWS host name.
    outputs["ApiUrl"] = f"{ENDPOINT}/_aws/execute-api/{api_id}"
    # The console's hosted sign-in needs the URL staff open, known only once the API
    # exists: the second step of a first deploy (docs/operations.md), as ops do it.
    cloudformation.update_stack(
        StackName=STACK,
        TemplateURL=f"{ENDPOINT}/{CODE_BUCKET}/template.json",
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMETERS.items()]
        + [{"ParameterKey": "ConsoleUrl", "ParameterValue": outputs["ApiUrl"]}],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = wait_for(cloudformation, "UPDATE_COMPLETE")
    outputs.update({o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])})
    outputs["ApiUrl"] = f"{ENDPOINT}/_aws/execute-api/{api_id}"
    outputs["Endpoint"] = ENDPOINT
    outputs["StackName"] = STACK
    deployed = time.monotonic() - started

    env = dict(
        os.environ,
        AWS_ENDPOINT_URL=ENDPOINT,
        AWS_REGION=REGION,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_EC2_METADATA_DISABLED="true",
    )
    subprocess.run(
        [str(ROOT / "target" / "debug" / "devstack"), "seed", outputs["TableName"]],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    create_staff(outputs["UserPoolId"], outputs["UserPoolClientId"])
    outputs["Secrets"] = {name: dev_secret(name) for name in sorted(names)}
    (OUT / "outputs.json").write_text(json.dumps(outputs, indent=1))
    resources = len(deployable["Resources"])
    print(f"stack {STACK}: {resources} resources deployed in {deployed:.1f} s, seeded, "
          f"{len(STAFF)} staff users; outputs in target/stack/outputs.json")
    print(f"API: {outputs['ApiUrl']}")
    print("A staff token (a real Cognito ID token, 15 minutes):")
    print("  export ADMIN_TOKEN=$(make stack-token NAME=ADMIN)   # or " + ", ".join(STAFF))


def down():
    """Deletes the stack, if there is one (its media bucket emptied first, as
    CloudFormation deletes only an empty bucket)."""
    cloudformation = client("cloudformation")
    try:
        outputs = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0].get("Outputs", [])
    except cloudformation.exceptions.ClientError:
        return
    s3 = client("s3")
    for output in outputs:
        if output["OutputKey"] == "MediaBucketName":
            bucket = output["OutputValue"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for item in page.get("Contents", []):
                    s3.delete_object(Bucket=bucket, Key=item["Key"])
    try:
        cloudformation.delete_stack(StackName=STACK)
    except cloudformation.exceptions.ClientError:
        return
    wait_for(cloudformation, "DELETE_COMPLETE")


def write_target():
    """The black-box suite's target file (tests/tests/stack), with fresh tokens."""
    outputs = json.loads((OUT / "outputs.json").read_text())
    resources = client("cloudformation").describe_stack_resources(StackName=STACK)
    lambdas = client("lambda")
    # Each function's environment as CloudFormation resolved it (the sla test runs
    # web-intake's code with it to write a backdated report).
    functions = {
        r["LogicalResourceId"]: lambdas.get_function_configuration(
            FunctionName=r["PhysicalResourceId"]
        ).get("Environment", {}).get("Variables", {})
        for r in resources["StackResources"]
        if r["ResourceType"] == "AWS::Lambda::Function"
    }
    target = {
        "api_url": outputs["ApiUrl"],
        "endpoint": ENDPOINT,
        "sms_record": f"{ENDPOINT}/_ministack/sns/sms-messages",
        "outputs": outputs,
        "secrets": outputs["Secrets"],
        "tokens": {name: id_token(outputs, name) for name in STAFF},
        # The hosted sign-in's user and password (the emulator's pages skip the
        # authenticator code; AWS asks for it).
        "staff_password": STAFF_PASSWORD,
        "functions": functions,
    }
    path = OUT / "target.json"
    path.write_text(json.dumps(target, indent=1))
    print(path)


def write_smoke_target(stage):
    """target/smoke/target.json for STAGE's deployed stack: its outputs and a token for
    the smoke user; no endpoint, secrets or SMS record (those tests are not run)."""
    import tomllib

    stages = tomllib.loads((ROOT / "samconfig.toml").read_text())
    if stage not in stages:
        sys.exit(f"samconfig.toml has no stage {stage!r} (it has {', '.join(stages)})")
    config = stages[stage]
    region = config["global"]["parameters"]["region"]
    stack_name = config["deploy"]["parameters"]["stack_name"]
    missing = [v for v in ("SMOKE_USER", "SMOKE_PASSWORD") if not os.environ.get(v)]
    if missing:
        sys.exit(f"set {' and '.join(missing)} (a test user in the supervisor group: "
                 "docs/operations.md, make smoke)")
    stack = boto3.client("cloudformation", region_name=region).describe_stacks(
        StackName=stack_name
    )["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    token = sign_in(
        boto3.client("cognito-idp", region_name=region),
        outputs,
        os.environ["SMOKE_USER"],
        os.environ["SMOKE_PASSWORD"],
        os.environ.get("SMOKE_TOTP_SECRET"),
    )
    target = {
        # The citizens' way in (CloudFront and the WAF) where the stage has one, unless
        # SMOKE_API_URL names another (a custom domain; the emulator's API path).
        "api_url": os.environ.get("SMOKE_API_URL")
        or outputs.get("EdgeUrl", outputs["ApiUrl"]),
        "outputs": outputs,
        "tokens": {"SUPERVISOR": token},
    }
    path = ROOT / "target" / "smoke" / "target.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(target, indent=1))
    print(f"{stack_name}: {target['api_url']}")


def main():
    command = sys.argv[1:2] or ["up"]
    if command == ["up"]:
        up()
    elif command == ["target"]:
        write_target()
    elif command == ["down"]:
        down()
    elif command == ["smoke"] and len(sys.argv) == 3:
        write_smoke_target(sys.argv[2])
    elif command == ["token"] and len(sys.argv) == 3:
        outputs = json.loads((OUT / "outputs.json").read_text())
        print(id_token(outputs, sys.argv[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
