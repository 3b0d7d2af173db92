//! The bundled library over a fixed sample of the shared corpus (`../shared/corpus`): every
//! finding (id, resource, line, status) is pinned in a snapshot, so a change of any verdict
//! on real templates shows up as a reviewable diff. The sample was chosen so that every rule
//! that fires anywhere in the corpus fires in it, next to templates on which the library stays
//! quiet. `docs/corpus.md` records what was judged doubtful when the snapshot was read.
//!
//! The corpus sits next to the repository in the project's workspace only; elsewhere the test
//! says so on standard error and passes.

// Test code throughout, helpers included (the lints allow `unwrap` in tests).
#![cfg(test)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use palisade::bundled;
use palisade::check;
use palisade::engine;
use palisade::eval::FindingStatus;
use palisade::model::Parameters;
use palisade::report::{self, Options};
use palisade::template;

/// Templates of the sample, relative to the corpus folder.
const SAMPLE: [&str; 54] = [
    "CheckPointSW__CloudGuardIaaS/aws__templates__cluster__cluster.yaml",
    "Skyscanner__cfripper/tests__test_templates__others__dangling_ingress_rule.json",
    "Skyscanner__cfripper/tests__test_templates__rules__EC2SecurityGroupIngressOpenToWorld__bad_template.json",
    "aws-cloudformation__aws-cloudformation-samples/hooks__python-hooks__security-group-open-ingress__example.yaml",
    "aws-cloudformation__aws-cloudformation-templates/ECS__ECS_Schedule_Example.yaml",
    "aws-cloudformation__aws-cloudformation-templates/EFS__EFSAccessPoint.yaml",
    "aws-cloudformation__cfn-lint/test__fixtures__templates__good__transform__language_extension.yaml",
    "aws-cloudformation__cfn-lint/test__fixtures__templates__integration__formats.yaml",
    "aws-cloudformation__cfn-lint/test__fixtures__templates__quickstart__cis_benchmark.yaml",
    "aws-cloudformation__cloudformation-guard/guard__assets__cfn-template.json",
    "aws-cloudformation__iac-model-evaluation/cloudformation__r53-resolver-w-vpc.json",
    "aws-cloudformation__rain/internal__cmd__build__tmpl__ec2__autoscaling.yaml",
    "aws-quickstart__quickstart-amazon-eks/templates__amazon-eks-functions.template.yaml",
    "aws-quickstart__quickstart-ammos-smallsat-toolkit/templates__ammos-cubs.main.template.yaml",
    "aws-quickstart__quickstart-atlassian-services/templates__quickstart-aurora-postgres-for-atlassian-services.yaml",
    "aws-quickstart__quickstart-cmmc-microsoft-activedirectory/templates__nested__ad-ca.template.yaml",
    "aws-quickstart__quickstart-datalake-foundation/templates__redshift.template.yaml",
    "aws-quickstart__quickstart-enterprise-accelerator-pci/templates__database.template.yaml",
    "aws-quickstart__quickstart-examples/samples__eks-app-helm-deploy__helm3-wordpress-deploy-RDS.yml",
    "aws-quickstart__quickstart-hashicorp-nomad/templates__quickstart-hashicorp-consul-servers.template.yaml",
    "aws-quickstart__quickstart-ibm-cloud-pak-for-security/templates__ibm-cloudpak-security.template.yaml",
    "aws-quickstart__quickstart-ibm-icp-for-data/templates__ibm-cloudpak-data.template.yaml",
    "aws-quickstart__quickstart-jfrog-artifactory/templates__jfrog-ami-creation.template.yaml",
    "aws-quickstart__quickstart-linux-bastion/templates__linux-bastion-entrypoint-existing-vpc.template.yaml",
    "aws-quickstart__quickstart-microfocus-amc-es/templates__mf-db-aurora-template.yaml",
    "aws-quickstart__quickstart-microsoft-activedirectory/templates__ad-2.template.yaml",
    "aws-quickstart__quickstart-microsoft-exchange/templates__exchange.template.yaml",
    "aws-quickstart__quickstart-microsoft-hpc/templates__headnode.template.yaml",
    "aws-quickstart__quickstart-microsoft-pki/templates__one-tier.template",
    "aws-quickstart__quickstart-microsoft-sharepoint/templates__sharepoint-single.template.yaml",
    "aws-quickstart__quickstart-microsoft-sql/templates__rds-sql.yml",
    "aws-quickstart__quickstart-microsoft-wapadfs/templates__wap-adfs.template",
    "aws-quickstart__quickstart-microsoft-wsus/templates__quickstart-microsoft-wsus-workload.template",
    "aws-quickstart__quickstart-redhat-openshift/templates__openshift4__os4-network.template.yaml",
    "aws-samples__aws-refarch-wordpress/templates__aws-refarch-wordpress-03-rds.yaml",
    "aws-samples__ecs-refarch-cloudformation/infrastructure__load-balancers.yaml",
    "aws-samples__ecs-refarch-cloudformation/infrastructure__security-groups.yaml",
    "aws-samples__startup-kit-templates/templates__elasticache.cfn.yml",
    "aws__aws-parallelcluster/cloudformation__ad__ad-integration.yaml",
    "aws__aws-parallelcluster/cloudformation__proxy__proxy.yaml",
    "aws__copilot-cli/internal__pkg__deploy__cloudformation__stack__testdata__environments__template-with-custom-security-group.yml",
    "awslabs__aws-cloudformation-templates/aws__services__CloudFormation__FindInMap_Inside_Sub.yaml",
    "awslabs__aws-solutions-constructs/source__patterns__@aws-solutions-constructs__aws-lambda-secretsmanager__test__integ.lamsec-deployFunctionWithVpc.js.snapshot__lamsec-deployFunctionWithVpc.template.json",
    "awslabs__aws-solutions-constructs/source__patterns__@aws-solutions-constructs__aws-route53-alb__test__integ.r53alb-deployPrivateApi.js.snapshot__r53alb-deployPrivateApi.template.json",
    "bridgecrewio__checkov/tests__cloudformation__checks__resource__aws__example_SecurityGroupRuleDescription__SecurityGroupRuleDescription-PASSED-2.yaml",
    "bridgecrewio__checkov/tests__cloudformation__checks__resource__aws__example_SecurityGroupUnrestrictedIngress22__SecurityGroupRangeInvalid-PASSED.yaml",
    "cloudtools__troposphere/tests__examples_output__Batch.template",
    "eijikominami__aws-cloudformation-templates/security__templates__security-agent.yaml",
    "eksctl-io__eksctl/pkg__cfn__template__testdata__cluster-example-1.json",
    "fortinetsolutions__AWS-CloudFormationTemplates/Gateway_Load_Balancer__Fortigate_ExistingVPC_option2.yaml",
    "open-constructs__aws-cdk-library/test__aws-fsx__integ.ontap-file-system.ts.snapshot__FsxForOntapTestStack.template.json",
    "stelligent__cfn_nag/spec__test_templates__json__security_group__security_group_ip6_localhost_egress.json",
    "stelligent__cfn_nag/spec__test_templates__yaml__security_group__security_group_rule_description_pass.yml",
    "widdix__aws-cf-templates/fargate__service-cluster-alb.yaml",
];

/// Rules that fire nowhere in the corpus (no template adds rules to a default group or puts
/// more than five groups on one interface); their policy tests cover them.
const NEVER_IN_CORPUS: [&str; 2] = ["SG001", "SG030"];

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "corpus_snapshot: skipped, the corpus is not at {} (it exists in the project's \
             workspace only)",
            dir.display()
        );
        None
    }
}

#[test]
fn bundled_findings_on_the_corpus_sample() {
    let Some(root) = corpus() else { return };
    let (program, _) = check::check(&bundled::policy_files(), &[]).unwrap();
    let mut text = String::new();
    let mut fired = BTreeSet::new();
    for path in SAMPLE {
        let loaded = template::read_file(&root.join(path), path.to_string())
            .and_then(template::parse)
            .unwrap_or_else(|e| panic!("{path}: {}", e.message));
        // What `validate` refuses to check (a Rain module) is shown as the error it gives.
        if let Err(e) = loaded.check_resources() {
            let _ = writeln!(text, "{path}\n  (error: {})", e.code);
            continue;
        }
        let outcomes = engine::evaluate_template(&program, &loaded, &Parameters::new());
        let part = report::checked(&program, &Options::default(), path, loaded, outcomes);
        let _ = writeln!(text, "{path}");
        if part.findings.is_empty() {
            let _ = writeln!(text, "  (no findings)");
        }
        for f in &part.findings {
            let status = match f.status {
                FindingStatus::Fail => "FAIL",
                FindingStatus::Unknown => "UNKNOWN",
            };
            let resource = f.resource.as_deref().unwrap_or("-");
            let _ = writeln!(text, "  {:>5} {} {status} {resource}", f.line, f.id);
            fired.insert(f.id.clone());
        }
    }
    let silent: Vec<String> = program
        .reported_rules()
        .map(|r| r.meta.id.clone())
        .filter(|id| !fired.contains(id.as_str()) && !NEVER_IN_CORPUS.contains(&id.as_str()))
        .collect();
    assert!(
        silent.is_empty(),
        "the sample must make every rule fire that fires in the corpus; silent: {silent:?}"
    );
    insta::assert_snapshot!("corpus_sample", text);
}
