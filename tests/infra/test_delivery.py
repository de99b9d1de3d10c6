"""CI/CD as code: the GitHub Actions workflow and the blue-green deployment it drives (parsed, no cloud)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.infra.terraform import ENVIRONMENTS, MODULES, all_blocks, environment_dirs, first_block, one, parse

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"


def workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps_text(job: dict) -> str:
    return "\n".join(str(step.get("run", "")) + " " + str(step.get("uses", "")) for step in job["steps"])


def test_tests_run_against_postgres_and_redis_service_containers():
    data = workflow()
    assert {"push", "pull_request", "workflow_dispatch"} <= set(data["on"])
    test = data["jobs"]["test"]
    assert set(test["services"]) == {"postgres", "redis"}
    assert test["services"]["postgres"]["image"].startswith("postgres:15")
    assert all("--health-cmd" in service["options"] for service in test["services"].values())
    assert test["env"]["CI"] == "true"
    assert "@postgres:5432" in test["env"]["DATABASE_URL"] and "redis://redis:6379" in test["env"]["REDIS_URL"]
    assert ".ci/run" in steps_text(test)  # the repository's CI entry point: PgBouncer and promtool included


def test_main_builds_one_image_and_deploys_region_by_region_with_oidc():
    jobs = workflow()["jobs"]
    assert jobs["build"]["needs"] == "test" and "refs/heads/main" in jobs["build"]["if"]
    assert "docker build" in steps_text(jobs["build"])
    deploy = jobs["deploy"]
    assert deploy["permissions"]["id-token"] == "write"
    assert deploy["environment"] == "production-${{ matrix.region }}"
    assert deploy["strategy"]["max-parallel"] == 1
    assert set(deploy["strategy"]["matrix"]["region"]) == {env.name for env in environment_dirs()}
    assert "secrets.AWS_DEPLOY_ROLE_ARN" in str(deploy["steps"])
    text = steps_text(deploy)
    order = [text.index(marker) for marker in (
        "docker push", "-target=module.compute.aws_ecs_task_definition.process", "aws ecs run-task",
        "aws deploy create-deployment", "-target=module.compute.aws_ecs_service.worker")]
    assert order == sorted(order), "push, register, migrate, web blue-green, then workers"
    assert 'test "$CODE" = "0"' in text  # a failed migration stops the deploy
    assert "aws deploy wait deployment-successful" in text
    # Rollback: a dispatch with an earlier image tag skips tests and build and deploys that tag.
    assert "image_tag" in workflow()["on"]["workflow_dispatch"]["inputs"]
    assert "github.event.inputs.image_tag" in workflow()["env"]["IMAGE_TAG"]


def test_the_workflow_reads_only_outputs_terraform_declares():
    text = WORKFLOW.read_text()
    used = set(re.findall(r"output -(?:raw|json) (\w+)", text))
    for env in environment_dirs():
        declared = {name for block in parse(env / "outputs.tf")["output"] for name in block}
        assert used <= declared, (env.name, sorted(used - declared))
    assert {"ecr_repository_url", "task_definition_arns", "migrate_network", "codedeploy_app_name",
            "codedeploy_deployment_group_name", "cluster_name"} <= used


def test_web_is_deployed_blue_green_and_rolled_back_on_the_alarms():
    web = one("aws_ecs_service", "web").body
    assert first_block(web, "deployment_controller")["type"] == "CODE_DEPLOY"
    assert {"task_definition", "load_balancer"} <= set(web["lifecycle"][0]["ignore_changes"])
    groups = one("aws_lb_target_group", "web").body
    assert groups["for_each"] == '${toset(["blue", "green"])}'
    group = one("aws_codedeploy_deployment_group", "web").body
    style = first_block(group, "deployment_style")
    assert style == {"deployment_type": "BLUE_GREEN", "deployment_option": "WITH_TRAFFIC_CONTROL"}
    rollback = first_block(group, "auto_rollback_configuration")
    assert rollback["enabled"] is True and {"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"} <= set(rollback["events"])
    alarms = first_block(group, "alarm_configuration")
    assert alarms["enabled"] is True and alarms["alarms"] == "${var.rollback_alarm_names}"
    pair = first_block(first_block(group, "load_balancer_info"), "target_group_pair_info")
    assert len(all_blocks(pair, "target_group")) == 2
    # The rollback alarms are the API error-rate, p95 latency and failed-purchases alarms.
    outputs = {name: spec for block in parse(MODULES / "monitoring" / "outputs.tf")["output"]
               for name, spec in block.items()}
    rollback_alarms = str(outputs["rollback_alarm_names"]["value"])
    for alarm in ("api_error_rate", "api_p95_latency", "failed_purchases"):
        assert f"aws_cloudwatch_metric_alarm.{alarm}.alarm_name" in rollback_alarms
    for env in environment_dirs():
        call = next(block["delivery"] for block in parse(env / "main.tf")["module"] if "delivery" in block)
        assert call["rollback_alarm_names"] == "${module.monitoring.rollback_alarm_names}"
        assert call["github_environment"] == "production-${var.region}"


def test_the_pipeline_role_trusts_only_this_repositorys_protected_environment():
    trust = one("aws_iam_policy_document", "deployer_assume", kind="data").body
    conditions = {c["variable"]: c for c in all_blocks(first_block(trust, "statement"), "condition")}
    sub = conditions["token.actions.githubusercontent.com:sub"]
    assert sub["test"] == "StringEquals"
    assert sub["values"] == ["repo:${var.github_repository}:environment:${var.github_environment}"]
    assert conditions["token.actions.githubusercontent.com:aud"]["values"] == ["sts.amazonaws.com"]
    assert (ENVIRONMENTS / "af-south-1" / "terraform.tfvars").exists()


def test_operations_guide_walks_a_first_deploy_and_a_rollback():
    guide = (ROOT / "docs" / "operations.md").read_text()
    for heading in ("## First deploy", "## Deploy", "## Roll back"):
        assert heading in guide, heading
    for command in ("terraform init", "put-secret-value", "aws deploy stop-deployment", "image_tag",
                    "move_tenant", "DATABASE_POOL_MODE"):
        assert command in guide, command
