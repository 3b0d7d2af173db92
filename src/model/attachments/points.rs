//! The attachment points palisade knows: resource types, the property that holds their group
//! list, and what leaving it out means (SG-SEMANTICS §2.8, §2.10).

use crate::model::groups::Slot;

/// When leaving the group list out attaches the VPC's default group.
#[derive(Clone, Copy, Debug)]
pub(super) enum Omission {
    /// Never claimed: the property is required, or the service picks or creates a group
    /// itself, or its documentation describes no fallback.
    Never,
    /// Always, when the resource is created.
    Always,
    /// Only when the map that holds the group list is there (the resource is in a VPC, or
    /// uses awsvpc networking).
    Within,
    /// Only when the map that holds the group list names subnets under this key (a Lambda
    /// function is in a VPC when its `VpcConfig` has `SubnetIds`).
    InVpc(&'static str),
    /// Unless the EC2-Classic-era group property named here is used instead.
    Unless(&'static str),
}

/// Resource types with one group list, its property path, the kind of values it takes, and the
/// fallback when it is left out. The fallbacks follow each service's API reference.
pub(super) const POINTS: &[(&str, &[&str], Slot, Omission)] = &[
    // CreateNetworkInterface: without groups the VPC's default group is used.
    (
        "AWS::EC2::NetworkInterface",
        &["GroupSet"],
        Slot::Id,
        Omission::Always,
    ),
    // Instances launched without groups get the VPC's default group (ids or names accepted).
    (
        "AWS::AutoScaling::LaunchConfiguration",
        &["SecurityGroups"],
        Slot::Either,
        Omission::Always,
    ),
    // RDS, DocumentDB and Neptune clusters: default is the VPC's default group.
    (
        "AWS::RDS::DBCluster",
        &["VpcSecurityGroupIds"],
        Slot::Id,
        Omission::Always,
    ),
    (
        "AWS::DocDB::DBCluster",
        &["VpcSecurityGroupIds"],
        Slot::Id,
        Omission::Always,
    ),
    (
        "AWS::Neptune::DBCluster",
        &["VpcSecurityGroupIds"],
        Slot::Id,
        Omission::Always,
    ),
    // ElastiCache in a VPC: the default group unless cache security groups (Classic) are named.
    (
        "AWS::ElastiCache::CacheCluster",
        &["VpcSecurityGroupIds"],
        Slot::Id,
        Omission::Unless("CacheSecurityGroupNames"),
    ),
    (
        "AWS::ElastiCache::ReplicationGroup",
        &["SecurityGroupIds"],
        Slot::Id,
        Omission::Unless("CacheSecurityGroupNames"),
    ),
    // Redshift CreateCluster: "Default: The default VPC security group is associated".
    (
        "AWS::Redshift::Cluster",
        &["VpcSecurityGroupIds"],
        Slot::Id,
        Omission::Unless("ClusterSecurityGroups"),
    ),
    // Classic ELB: not claimed (the service may create its own group in a VPC).
    (
        "AWS::ElasticLoadBalancing::LoadBalancer",
        &["SecurityGroups"],
        Slot::Id,
        Omission::Never,
    ),
    // ECS awsvpc: "If you don't specify a security group, the default security group for the
    // VPC is used"; only for services with an awsvpc configuration.
    (
        "AWS::ECS::Service",
        &[
            "NetworkConfiguration",
            "AwsvpcConfiguration",
            "SecurityGroups",
        ],
        Slot::Id,
        Omission::Within,
    ),
    (
        "AWS::ECS::TaskSet",
        &[
            "NetworkConfiguration",
            "AwsVpcConfiguration",
            "SecurityGroups",
        ],
        Slot::Id,
        Omission::Within,
    ),
    // Lambda functions with subnets run in the VPC; without a group they get its default one.
    (
        "AWS::Lambda::Function",
        &["VpcConfig", "SecurityGroupIds"],
        Slot::Id,
        Omission::InVpc("SubnetIds"),
    ),
    (
        "AWS::Serverless::Function",
        &["VpcConfig", "SecurityGroupIds"],
        Slot::Id,
        Omission::InVpc("SubnetIds"),
    ),
    // CodeBuild VPC configs: not claimed (no documented fallback).
    (
        "AWS::CodeBuild::Project",
        &["VpcConfig", "SecurityGroupIds"],
        Slot::Id,
        Omission::Never,
    ),
    // OpenSearch VPC domains: "If you don't provide a security group ID, OpenSearch Service
    // uses the default security group for the VPC".
    (
        "AWS::OpenSearchService::Domain",
        &["VPCOptions", "SecurityGroupIds"],
        Slot::Id,
        Omission::Within,
    ),
    (
        "AWS::Elasticsearch::Domain",
        &["VPCOptions", "SecurityGroupIds"],
        Slot::Id,
        Omission::Within,
    ),
    // MSK: "If you don't specify a security group, Amazon MSK uses the default security group".
    (
        "AWS::MSK::Cluster",
        &["BrokerNodeGroupInfo", "SecurityGroups"],
        Slot::Id,
        Omission::Within,
    ),
    // Required properties, or services that create or choose a group themselves: not claimed.
    (
        "AWS::EFS::MountTarget",
        &["SecurityGroups"],
        Slot::Id,
        Omission::Never,
    ),
    (
        "AWS::EKS::Cluster",
        &["ResourcesVpcConfig", "SecurityGroupIds"],
        Slot::Id,
        Omission::Never,
    ),
    (
        "AWS::Batch::ComputeEnvironment",
        &["ComputeResources", "SecurityGroupIds"],
        Slot::Id,
        Omission::Never,
    ),
    (
        "AWS::DMS::ReplicationInstance",
        &["VpcSecurityGroupIds"],
        Slot::Id,
        Omission::Never,
    ),
    (
        "AWS::SageMaker::NotebookInstance",
        &["SecurityGroupIds"],
        Slot::Id,
        Omission::Never,
    ),
    (
        "AWS::EC2::ClientVpnEndpoint",
        &["SecurityGroupIds"],
        Slot::Id,
        Omission::Never,
    ),
    (
        "AWS::Route53Resolver::ResolverEndpoint",
        &["SecurityGroupIds"],
        Slot::Id,
        Omission::Never,
    ),
    (
        "AWS::AmazonMQ::Broker",
        &["SecurityGroups"],
        Slot::Id,
        Omission::Never,
    ),
    (
        "AWS::FSx::FileSystem",
        &["SecurityGroupIds"],
        Slot::Id,
        Omission::Never,
    ),
    (
        "AWS::DAX::Cluster",
        &["SecurityGroupIds"],
        Slot::Id,
        Omission::Never,
    ),
    (
        "AWS::Transfer::Server",
        &["EndpointDetails", "SecurityGroupIds"],
        Slot::Id,
        Omission::Never,
    ),
    (
        "AWS::AppRunner::VpcConnector",
        &["SecurityGroups"],
        Slot::Id,
        Omission::Never,
    ),
];

/// Types whose consumers of a launch template bring their own groups.
pub(super) const LAUNCH_TEMPLATE_CONSUMERS_WITH_GROUPS: [&str; 2] =
    ["AWS::EKS::Nodegroup", "AWS::Batch::ComputeEnvironment"];
