# PostgreSQL for every tenant schema: RDS Multi-AZ primary, encrypted, with
# automated backups, a read replica, and RDS Proxy in front.
#
# django-tenants and the pooler: django-tenants selects a tenant with `SET search_path`,
# a session setting. A pooler that hands server connections to other clients between
# transactions (PgBouncer pool_mode = transaction, RDS Proxy without session pinning)
# would let one tenant's search_path leak into another request. The application
# therefore runs with DATABASE_POOL_MODE=transaction (modules/compute): it never sends a
# session-level SET; the search path travels inside each transaction as SET LOCAL
# (tenants/postgresql_backend, proven through PgBouncer in transaction mode by
# tests/isolation in CI). So the proxy may multiplex transactions freely:
#   * session_pinning_filters = ["EXCLUDE_VARIABLE_SETS"]: a SET does not pin the
#     client to one server connection (the few session SETs Django sends at connect,
#     such as the time zone, match the server's defaults: parameter group timezone = UTC);
#   * clients authenticate with the RDS-managed secret's password (DATABASE_PASSWORD),
#     which the proxy checks against the same secret.
# The proxy absorbs connection storms during deploys and scale-out and keeps client
# connections open across a Multi-AZ failover.

resource "aws_db_subnet_group" "main" {
  name       = "${var.name}-postgres"
  subnet_ids = var.data_subnet_ids
  tags       = var.tags
}

resource "aws_security_group" "database" {
  name        = "${var.name}-postgres"
  description = "PostgreSQL: reachable only from the RDS Proxy and the app tasks (replica reads)"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_security_group" "proxy" {
  #checkov:skip=CKV2_AWS_5:Attached to aws_db_proxy.main below through vpc_security_group_ids.
  name        = "${var.name}-postgres-proxy"
  description = "RDS Proxy: reachable only from the app tasks"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "proxy_from_app" {
  count                        = length(var.app_security_group_ids)
  security_group_id            = aws_security_group.proxy.id
  referenced_security_group_id = var.app_security_group_ids[count.index]
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  description                  = "PostgreSQL from app tasks"
}

resource "aws_vpc_security_group_egress_rule" "proxy_to_database" {
  security_group_id            = aws_security_group.proxy.id
  referenced_security_group_id = aws_security_group.database.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  description                  = "Proxy to PostgreSQL"
}

resource "aws_vpc_security_group_ingress_rule" "database_from_proxy" {
  security_group_id            = aws_security_group.database.id
  referenced_security_group_id = aws_security_group.proxy.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  description                  = "PostgreSQL from RDS Proxy"
}

resource "aws_vpc_security_group_ingress_rule" "database_from_app" {
  count                        = length(var.app_security_group_ids)
  security_group_id            = aws_security_group.database.id
  referenced_security_group_id = var.app_security_group_ids[count.index]
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  description                  = "Replica reads and migrations from app tasks"
}

resource "aws_db_parameter_group" "postgres" {
  name   = "${var.name}-postgres15"
  family = "postgres15"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
  parameter {
    name  = "log_min_duration_statement"
    value = "500"
  }
  parameter {
    name  = "log_lock_waits"
    value = "1"
  }
  parameter {
    name  = "idle_in_transaction_session_timeout"
    value = "60000"
  }
  # Django expects UTC sessions; with it as the server default no session SET is needed.
  parameter {
    name  = "timezone"
    value = "UTC"
  }
  # Thousands of tenant schemas: pg_stat_statements shows which tenant's query is slow.
  parameter {
    name         = "shared_preload_libraries"
    value        = "pg_stat_statements"
    apply_method = "pending-reboot"
  }
  tags = var.tags
}

data "aws_iam_policy_document" "monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  name               = "${var.name}-rds-monitoring"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  role       = aws_iam_role.monitoring.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "primary" {
  identifier     = "${var.name}-primary"
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class
  db_name        = "nexustop"
  username       = "nexustop_admin"
  # The master password is generated and rotated by RDS in Secrets Manager: never in code or state.
  manage_master_user_password   = true
  master_user_secret_kms_key_id = var.kms_key_arn

  multi_az              = true
  storage_type          = "gp3"
  allocated_storage     = var.allocated_storage_gb
  max_allocated_storage = var.max_allocated_storage_gb
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  db_subnet_group_name                = aws_db_subnet_group.main.name
  vpc_security_group_ids              = [aws_security_group.database.id]
  parameter_group_name                = aws_db_parameter_group.postgres.name
  publicly_accessible                 = false
  iam_database_authentication_enabled = true

  backup_retention_period  = var.backup_retention_days
  backup_window            = "01:00-02:00"
  maintenance_window       = "sun:02:30-sun:03:30"
  copy_tags_to_snapshot    = true
  delete_automated_backups = false
  deletion_protection      = true
  skip_final_snapshot      = false

  final_snapshot_identifier = "${var.name}-primary-final"

  auto_minor_version_upgrade            = true
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 30
  monitoring_role_arn                   = aws_iam_role.monitoring.arn
  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]

  tags = var.tags
}

# Read replicas in the same region (data stays in the region): reporting and
# reconciliation reads. Promotable in a disaster (docs/operations.md).
resource "aws_db_instance" "replica" {
  count               = var.replica_count
  identifier          = "${var.name}-replica-${count.index}"
  replicate_source_db = aws_db_instance.primary.identifier
  instance_class      = var.instance_class

  storage_encrypted = true
  kms_key_id        = var.kms_key_arn

  vpc_security_group_ids              = [aws_security_group.database.id]
  parameter_group_name                = aws_db_parameter_group.postgres.name
  publicly_accessible                 = false
  iam_database_authentication_enabled = true
  multi_az                            = true

  # A replica's own automated backups let it be promoted without losing PITR.
  backup_retention_period = var.backup_retention_days
  copy_tags_to_snapshot   = true
  deletion_protection     = true
  skip_final_snapshot     = true

  auto_minor_version_upgrade            = true
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 30
  monitoring_role_arn                   = aws_iam_role.monitoring.arn
  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]

  tags = var.tags
}

data "aws_iam_policy_document" "proxy_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "proxy" {
  name               = "${var.name}-rds-proxy"
  assume_role_policy = data.aws_iam_policy_document.proxy_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "proxy" {
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_db_instance.primary.master_user_secret[0].secret_arn]
  }
  statement {
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "proxy" {
  name   = "read-master-secret"
  role   = aws_iam_role.proxy.id
  policy = data.aws_iam_policy_document.proxy.json
}

resource "aws_db_proxy" "main" {
  name                   = "${var.name}-postgres"
  engine_family          = "POSTGRESQL"
  role_arn               = aws_iam_role.proxy.arn
  vpc_subnet_ids         = var.data_subnet_ids
  vpc_security_group_ids = [aws_security_group.proxy.id]
  require_tls            = true
  debug_logging          = false
  idle_client_timeout    = 1800

  # The tasks present the secret's password (DATABASE_PASSWORD, injected from the same secret).
  auth {
    auth_scheme = "SECRETS"
    iam_auth    = "DISABLED"
    secret_arn  = aws_db_instance.primary.master_user_secret[0].secret_arn
  }

  tags = var.tags
}

resource "aws_db_proxy_default_target_group" "main" {
  db_proxy_name = aws_db_proxy.main.name

  connection_pool_config {
    max_connections_percent      = var.proxy_max_connections_percent
    max_idle_connections_percent = 50
    connection_borrow_timeout    = 30
    # The app sends no session-level SET search_path (DATABASE_POOL_MODE=transaction, see the
    # header comment), so SETs need not pin: transactions multiplex over server connections.
    session_pinning_filters = ["EXCLUDE_VARIABLE_SETS"]
  }
}

resource "aws_db_proxy_target" "primary" {
  db_proxy_name          = aws_db_proxy.main.name
  target_group_name      = aws_db_proxy_default_target_group.main.name
  db_instance_identifier = aws_db_instance.primary.identifier
}
