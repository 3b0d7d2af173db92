#!/usr/bin/env python3
"""Writes a synthetic CloudFormation template with N security groups.

Each group has three inline ingress rules (one of them open to the internet on a port that
varies), one inline egress rule and a standalone ingress rule that names it; an EC2 instance
attaches each group. Some rules have no description and some open every protocol, so the
policies find something in every group.

    gen_template.py N yaml|json OUT [--minified] [--identical]

With --identical every group has the same rules (machine-made templates often look like that),
so every group is a duplicate of every other.
"""

import json
import sys

PORTS = [22, 80, 443, 3389, 5432, 8080, 25, 53]


def resources(n, identical=False):
    out = {}
    out["Vpc"] = {
        "Type": "AWS::EC2::VPC",
        "Properties": {"CidrBlock": "10.0.0.0/16"},
    }
    for g in range(n):
        sg = f"Sg{g}"
        i = 0 if identical else g
        port = PORTS[i % len(PORTS)]
        world = {
            "IpProtocol": "tcp",
            "FromPort": port,
            "ToPort": port,
            "CidrIp": "0.0.0.0/0",
        }
        if i % 3:
            world["Description"] = f"public port {port}"
        private = {
            "IpProtocol": "-1" if i % 7 == 0 else "tcp",
            "FromPort": 1024,
            "ToPort": 2047,
            "CidrIp": f"10.{i // 256 % 256}.{i % 256}.0/24",
            "Description": "private range",
        }
        peer = {
            "IpProtocol": "tcp",
            "FromPort": 8443,
            "ToPort": 8443,
            "SourceSecurityGroupId": (
                "sg-0123456789abcdef0" if identical else {"Ref": f"Sg{(i + 1) % n}"}
            ),
            "Description": "from the next group",
        }
        out[sg] = {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": f"group {g}",
                "VpcId": {"Ref": "Vpc"},
                "SecurityGroupIngress": [world, private, peer],
                "SecurityGroupEgress": [
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 443,
                        "ToPort": 443,
                        "CidrIp": "0.0.0.0/0",
                        "Description": "https out",
                    }
                ],
                "Tags": [{"Key": "Name", "Value": f"group-{g}"}],
            },
        }
        standalone = {
            "GroupId": {"Fn::GetAtt": [sg, "GroupId"]},
            "IpProtocol": "udp",
            "FromPort": 500 + i % 100,
            "ToPort": 500 + i % 100,
            "CidrIp": "0.0.0.0/0" if i % 5 == 0 else "192.168.0.0/16",
        }
        if i % 2:
            standalone["Description"] = "standalone rule"
        out[f"Sg{g}Ingress"] = {
            "Type": "AWS::EC2::SecurityGroupIngress",
            "Properties": standalone,
        }
        out[f"Host{g}"] = {
            "Type": "AWS::EC2::Instance",
            "Properties": {
                "ImageId": "ami-12345678",
                "InstanceType": "t3.micro",
                "SecurityGroupIds": [{"Ref": sg}],
            },
        }
    return out


def template(n, identical=False):
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"synthetic template with {n} security groups",
        "Resources": resources(n, identical),
    }


def yaml_scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return json.dumps(v)


def write_yaml(value, out, indent=0):
    """Block-style YAML; intrinsic functions in their short forms, as people write them."""
    pad = "  " * indent
    for key, v in value.items():
        if isinstance(v, dict) and len(v) == 1 and next(iter(v)) == "Ref":
            out.write(f"{pad}{key}: !Ref {v['Ref']}\n")
        elif isinstance(v, dict) and len(v) == 1 and next(iter(v)) == "Fn::GetAtt":
            out.write(f"{pad}{key}: !GetAtt {'.'.join(v['Fn::GetAtt'])}\n")
        elif isinstance(v, dict):
            out.write(f"{pad}{key}:\n")
            write_yaml(v, out, indent + 1)
        elif isinstance(v, list):
            out.write(f"{pad}{key}:\n")
            for item in v:
                if isinstance(item, dict) and len(item) == 1 and "Ref" in item:
                    out.write(f"{pad}  - !Ref {item['Ref']}\n")
                elif isinstance(item, dict):
                    first = True
                    for k, x in item.items():
                        lead = "- " if first else "  "
                        first = False
                        if isinstance(x, dict) and list(x) == ["Ref"]:
                            out.write(f"{pad}  {lead}{k}: !Ref {x['Ref']}\n")
                        else:
                            out.write(f"{pad}  {lead}{k}: {yaml_scalar(x)}\n")
                else:
                    out.write(f"{pad}  - {yaml_scalar(item)}\n")
        else:
            out.write(f"{pad}{key}: {yaml_scalar(v)}\n")


def main():
    if len(sys.argv) < 4 or sys.argv[2] not in ("yaml", "json"):
        sys.exit(__doc__)
    n = int(sys.argv[1])
    fmt = sys.argv[2]
    minified = "--minified" in sys.argv[4:]
    identical = "--identical" in sys.argv[4:]
    with open(sys.argv[3], "w", encoding="utf-8") as out:
        if fmt == "json":
            if minified:
                json.dump(template(n, identical), out, separators=(",", ":"))
            else:
                json.dump(template(n, identical), out, indent=1)
            out.write("\n")
        else:
            write_yaml(template(n, identical), out)


if __name__ == "__main__":
    main()
