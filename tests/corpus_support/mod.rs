//! What the corpus tests share: the corpus templates that must fail to load, and why.

/// The corpus files that must fail to load, with the error code and why.
pub const EXPECTED_FAILURES: [(&str, &str); 3] = [
    // `EC2InstanceSGID` is defined twice in one map (lines 804 and 828). PyYAML keeps the last
    // one silently; CloudFormation and cfn-lint (E0000) reject the template.
    (
        "awslabs__aws-cloudformation-templates/aws__solutions__CloudFrontCustomOriginLambda@Edge__CloudFront.yaml",
        "yaml::duplicate-key",
    ),
    // `AutoScaleGroupName` twice in one map (lines 491 and 506): the template's own fault.
    (
        "CheckPointSW__CloudGuardIaaS/aws__templates__asg__autoscale.yaml",
        "yaml::duplicate-key",
    ),
    // `InternalDefaultRouteIPv6` twice in one map (lines 735 and 742): the template's own fault.
    (
        "CheckPointSW__CloudGuardIaaS/aws__templates__single-gw__gateway.yaml",
        "yaml::duplicate-key",
    ),
];
