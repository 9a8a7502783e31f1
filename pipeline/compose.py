"""Composition: map the validated configuration onto the stack's components.

This is the only place that reads the config models; every component takes a small Args
dataclass of plain values, Inputs and other components' handles.
"""

from __future__ import annotations

import re

import pulumi
import pulumi_kubernetes as k8s

from components.alerting.connect import sink_group
from components.alerting.spark import GROUP_PREFIX as SPARK_GROUP_PREFIX
from components.analytics import SparkJobs, SparkJobsArgs
from components.archive import (
    AccessLoggingArgs,
    AwsAccessArgs,
    IrsaWriterArgs,
    LifecycleArgs,
    ObjectLockArgs,
    PodIdentityWriterArgs,
    SnapshotArchive,
    SnapshotArchiveArgs,
)
from components.autopilot import (
    Autopilot,
    AutopilotArgs,
    ClaimGrowthArgs,
    FixedClaims,
    GrowingClaims,
    PoolGrowthArgs,
)
from components.connect import PluginDelivery
from components.elasticsearch import (
    ElasticsearchClientArgs,
    ElasticsearchCluster,
    ElasticsearchClusterArgs,
    ElasticsearchNodesArgs,
    KibanaArgs,
)
from components.endpoints import ElasticsearchEndpoint, KafkaEndpoint
from components.k8s import common_labels
from components.kafka import (
    KafkaClientArgs,
    KafkaCluster,
    KafkaClusterArgs,
    KafkaNodesArgs,
    KafkaTopicArgs,
)
from components.loader import STAGE as LOADER
from components.loader import Loader, LoaderArgs, LoaderConnectorArgs
from components.migration import Migration, MigrationArgs, PortworxPairArgs
from components.monitoring import Monitoring
from components.operators import HelmChart, Operator, OperatorArgs
from components.pipeline import Pipeline, PipelineArgs
from components.pods import Resources
from components.protection import (
    ArchiveArgs,
    ElasticsearchFlushArgs,
    NamespaceProtection,
    NamespaceProtectionArgs,
    ProtectedClaim,
    S3AccessKey,
    SchedulePolicies,
    SchedulePoliciesArgs,
    SchedulePolicyArgs,
)
from components.spark import STAGE as ANALYTICS
from components.spark import PodSize, Restart, SparkJob
from components.storage import (
    EncryptionKeyArgs,
    PlacementArgs,
    PortworxStorage,
    PortworxStorageArgs,
    SnapshotClassArgs,
    StorageClassArgs,
)
from components.strimzi import CLUSTER_LABEL as KAFKA_CLUSTER_LABEL
from components.tensorflow import (
    HttpProbe,
    MetricsEndpoint,
    TensorflowSettings,
    TensorflowWorkers,
    TensorflowWorkersArgs,
)
from pipeline.config import StackConfig
from pipeline.config.analytics import (
    SPARK_KAFKA_USER,
    TENSORFLOW_KAFKA_USER,
    AnalyticsConfig,
    SparkConfig,
    SparkJobConfig,
)
from pipeline.config.archive import ArchiveConfig
from pipeline.config.compute import ResourcesConfig
from pipeline.config.elasticsearch import ElasticsearchConfig, ElasticsearchNodesConfig
from pipeline.config.kafka import KafkaConfig, KafkaNodesConfig
from pipeline.config.loader import LoaderConfig
from pipeline.config.operators import OperatorConfig
from pipeline.config.protection import ProtectionConfig
from pipeline.config.tensorflow import ProbeConfig, TensorflowConfig

STRIMZI_CHART = "oci://quay.io/strimzi-helm/strimzi-kafka-operator"
ECK_REPOSITORY = "https://helm.elastic.co"
SPARK_OPERATOR_REPOSITORY = "https://kubeflow.github.io/spark-operator"


def compose_stack(config: StackConfig) -> None:
    """Register every resource of the stack. ``config`` is already valid as a whole."""
    labels = common_labels(config.environment)
    provider = _create_provider(config)
    with_provider = pulumi.ResourceOptions(providers=[provider])
    monitoring = _monitoring(config, labels, with_provider)

    storage_args = _storage_args(config, _class_prefix(config), labels, monitoring)
    storage = PortworxStorage("storage", storage_args, with_provider)
    # The cloud snapshots' bucket: AWS, through the archive's own explicit provider.
    archive = (
        SnapshotArchive("archive", _archive_args(config.archive, labels))
        if config.archive
        else None
    )
    kubernetes = config.kubernetes
    pipelines = {
        name: Pipeline(
            name,
            PipelineArgs(
                namespace=f"{kubernetes.namespace}-{name}",
                storage_quotas=pipeline.storage,
                catalog=storage.classes,
                labels=labels,
                retain_on_delete=kubernetes.retain_on_delete,
                api_server_cidrs=kubernetes.api_server.cidrs,
                api_server_ports=kubernetes.api_server.ports,
            ),
            with_provider,
        )
        for name, pipeline in config.pipelines.items()
    }

    streaming = {name: p.kafka for name, p in config.pipelines.items() if p.kafka}
    streams: dict[str, KafkaCluster] = {}
    if streaming:
        strimzi = Operator(
            "strimzi",
            _strimzi_args(config, [pipelines[name].namespace.name for name in streaming], labels),
            with_provider,
        )
        streams = {
            name: KafkaCluster(
                name,
                _kafka_args(
                    config,
                    name,
                    kafka,
                    config.pipelines[name].loader,
                    config.pipelines[name].analytics,
                    pipelines[name],
                    storage,
                    strimzi,
                    monitoring,
                ),
                pulumi.ResourceOptions(parent=pipelines[name]),
            )
            for name, kafka in streaming.items()
        }

    indexed = {name: p.elasticsearch for name, p in config.pipelines.items() if p.elasticsearch}
    indexes: dict[str, ElasticsearchCluster] = {}
    if indexed:
        eck = Operator(
            "eck",
            _eck_args(config, [pipelines[name].namespace.name for name in indexed], labels),
            with_provider,
        )
        indexes = {
            name: ElasticsearchCluster(
                name,
                _elasticsearch_args(
                    config,
                    es,
                    _loader_indices(config.pipelines[name].loader),
                    _analytics_indices(config.pipelines[name].analytics),
                    pipelines[name],
                    storage,
                    eck,
                    monitoring,
                ),
                pulumi.ResourceOptions(parent=pipelines[name]),
            )
            for name, es in indexed.items()
        }

    loaders = {
        name: Loader(
            name,
            _loader_args(
                config, loader, pipelines[name], streams[name], strimzi, indexes[name], monitoring
            ),
            pulumi.ResourceOptions(parent=pipelines[name]),
        )
        for name, pipeline in config.pipelines.items()
        if (loader := pipeline.loader)
    }

    analysed = {name: p.analytics for name, p in config.pipelines.items() if p.analytics}
    spark_jobs: dict[str, SparkJobs] = {}
    if any(analytics.spark for analytics in analysed.values()):
        spark_operator = Operator(
            "spark-operator",
            _spark_operator_args(
                config,
                [pipelines[name].namespace.name for name, a in analysed.items() if a.spark],
                labels,
            ),
            with_provider,
        )
        spark_jobs = {
            name: SparkJobs(
                name,
                _spark_jobs_args(
                    config,
                    spark,
                    pipelines[name],
                    storage,
                    spark_operator,
                    _kafka_endpoint(streams.get(name), SPARK_KAFKA_USER),
                    _elasticsearch_endpoint(indexes.get(name)),
                    monitoring,
                ),
                pulumi.ResourceOptions(parent=pipelines[name]),
            )
            for name, analytics in analysed.items()
            if (spark := analytics.spark)
        }
    tensorflow_workers = {
        name: TensorflowWorkers(
            name,
            _tensorflow_args(
                config,
                tensorflow,
                pipelines[name],
                storage,
                _kafka_endpoint(streams.get(name), TENSORFLOW_KAFKA_USER),
                _elasticsearch_endpoint(indexes.get(name)),
                monitoring,
            ),
            pulumi.ResourceOptions(parent=pipelines[name]),
        )
        for name, analytics in analysed.items()
        if (tensorflow := analytics.tensorflow)
    }

    if config.protection is not None:
        assert archive is not None  # protection needs the archive (stack validation)
        schedules = SchedulePolicies(
            "protection", _schedule_policies_args(config.protection, config, labels), with_provider
        )
        for name, pipeline in pipelines.items():
            # Every claim of every stateful element of the pipeline, by the name it will have.
            elements = {
                "kafka": streams.get(name),
                "elasticsearch": indexes.get(name),
                "spark": spark_jobs.get(name),
                "tensorflow": tensorflow_workers.get(name),
            }
            NamespaceProtection(
                name,
                _namespace_protection_args(
                    config,
                    config.protection,
                    name,
                    pipeline,
                    schedules,
                    archive,
                    [
                        ProtectedClaim(claim, element, role)
                        for element, handle in elements.items()
                        if handle is not None
                        for claim, role in handle.claims.items()
                    ],
                    monitoring,
                ),
                pulumi.ResourceOptions(
                    parent=pipeline,
                    # Schedules and rules name the elements' claims and pods: after them.
                    depends_on=[h for h in elements.values() if h is not None],
                ),
            )
    if config.autopilot is not None:
        Autopilot(
            "autopilot",
            _autopilot_args(config, labels, pipelines, streams, indexes, monitoring, with_provider),
            with_provider,
        )
    if config.migration is not None:
        migration = Migration(
            "migration",
            _migration_args(config, storage_args, pipelines, labels, with_provider),
            with_provider,
        )
        pulumi.export("migrationSchedules", migration.schedules)

    if archive is not None:
        pulumi.export("archive", _archive_outputs(archive))
        if archive.access_key_id is not None:
            # Pulumi secrets: `pulumi stack output archiveCredentials --show-secrets`.
            pulumi.export(
                "archiveCredentials",
                {
                    "accessKeyId": archive.access_key_id,
                    "secretAccessKey": archive.secret_access_key,
                },
            )

    pulumi.export("environment", config.environment)
    # The zones the stack spreads over: the capacity plan shares volumes out among them.
    pulumi.export("zones", list(kubernetes.zones))
    pulumi.export("storageClasses", {role: c.name for role, c in storage.classes.items()})
    pulumi.export("placementStrategy", storage.placement_strategy)
    pulumi.export("snapshotClasses", storage.snapshot_classes)
    pulumi.export("namespaces", {name: p.namespace.name for name, p in pipelines.items()})
    pulumi.export(
        "pipelines",
        {
            name: {
                **p.outputs(),
                **({"kafka": _kafka_outputs(streams[name])} if name in streams else {}),
                **(
                    {"elasticsearch": _elasticsearch_outputs(indexes[name])}
                    if name in indexes
                    else {}
                ),
                **({"loader": _loader_outputs(loaders[name])} if name in loaders else {}),
                **(
                    {
                        "analytics": _analytics_outputs(
                            spark_jobs.get(name), tensorflow_workers.get(name)
                        )
                    }
                    if name in analysed
                    else {}
                ),
            }
            for name, p in pipelines.items()
        },
    )


def _archive_args(archive: ArchiveConfig, labels: dict[str, str]) -> SnapshotArchiveArgs:
    lifecycle, lock, logging, writer = (
        archive.lifecycle,
        archive.object_lock,
        archive.access_logging,
        archive.writer,
    )
    writer_args: IrsaWriterArgs | PodIdentityWriterArgs | None = None
    if writer.irsa is not None:
        writer_args = IrsaWriterArgs(writer.irsa.oidc_provider_arn, writer.irsa.service_accounts)
    elif writer.pod_identity is not None:
        writer_args = PodIdentityWriterArgs(
            writer.pod_identity.service_accounts, writer.pod_identity.cluster_name
        )
    return SnapshotArchiveArgs(
        aws=AwsAccessArgs(archive.region, archive.profile, archive.role_arn),
        bucket_prefix=archive.bucket_prefix,
        lifecycle=LifecycleArgs(
            lifecycle.transition_days,
            lifecycle.storage_class,
            lifecycle.noncurrent_version_expiry_days,
            lifecycle.abort_multipart_days,
        ),
        encryption=archive.encryption,
        object_lock=ObjectLockArgs(lock.mode, lock.days) if lock else None,
        access_logging=(
            AccessLoggingArgs(logging.target_bucket, logging.target_prefix) if logging else None
        ),
        # None: an IAM user whose access key exists only as a Pulumi secret.
        writer=writer_args,
        tags=labels,
    )


def _archive_outputs(archive: SnapshotArchive) -> dict[str, pulumi.Input[object]]:
    return {
        "bucket": archive.bucket_name,
        "bucketArn": archive.bucket_arn,
        "region": archive.region,
        "endpoint": archive.endpoint,
        "kmsKeyArn": archive.kms_key_arn,
        "writerRoleArn": archive.writer_role_arn,
    }


def _kafka_outputs(kafka: KafkaCluster) -> dict[str, pulumi.Input[object]]:
    return {"bootstrap": kafka.bootstrap, "caSecret": kafka.ca_secret, "users": kafka.users}


def _elasticsearch_outputs(cluster: ElasticsearchCluster) -> dict[str, pulumi.Input[object]]:
    return {"url": cluster.url, "caSecret": cluster.ca_secret}


def _loader_outputs(loader: Loader) -> dict[str, pulumi.Input[object]]:
    return {
        "connect": loader.connect_name,
        "user": loader.user_secret,
        "consumerGroups": list(loader.consumer_groups),
        "deadLetterTopics": list(loader.dead_letter_topics),
    }


def _analytics_outputs(
    spark: SparkJobs | None, tensorflow: TensorflowWorkers | None
) -> dict[str, pulumi.Input[object]]:
    outputs: dict[str, pulumi.Input[object]] = {}
    if spark is not None:
        outputs["spark"] = {
            "applications": list(spark.applications),
            "serviceAccount": spark.service_account,
            "checkpointClaim": spark.checkpoint_claim,
        }
    if tensorflow is not None:
        outputs["tensorflow"] = {
            "workers": tensorflow.workers,
            "modelClaim": tensorflow.model_claim,
        }
    return outputs


def _kafka_endpoint(kafka: KafkaCluster | None, user: str) -> KafkaEndpoint | None:
    """The pipeline's Kafka as an analytics part reaches it, as the user the Kafka cluster
    created for it (``_analytics_kafka_users``); None without Kafka."""
    if kafka is None or user not in kafka.users:
        return None
    return KafkaEndpoint(
        bootstrap=kafka.bootstrap,
        ca_secret=kafka.ca_secret,
        user_secret=kafka.users[user],
        authentication=kafka.authentication.value,
        pods={KAFKA_CLUSTER_LABEL: kafka.cluster_name},
        ready=(kafka,),
    )


def _elasticsearch_endpoint(cluster: ElasticsearchCluster | None) -> ElasticsearchEndpoint | None:
    """The pipeline's Elasticsearch as the analytics stage's read-only user reaches it."""
    if cluster is None:
        return None
    return ElasticsearchEndpoint(
        url=cluster.url,
        ca_secret=cluster.ca_secret,
        credentials_secret=cluster.user_secret(ANALYTICS),
        pods=cluster.pods,
        ready=(cluster,),
    )


def _analytics_kafka_users(analytics: AnalyticsConfig | None) -> dict[str, KafkaClientArgs]:
    """The Kafka users of the analytics parts that read topics: exactly their topics, and
    their group — Spark's Kafka source generates group ids, so its group is a prefix."""
    if analytics is None:
        return {}
    users = {}
    if analytics.spark is not None:
        topics = sorted({t for job in analytics.spark.jobs.values() for t in job.reads.topics})
        if topics:
            users[SPARK_KAFKA_USER] = KafkaClientArgs(
                consumes=tuple(topics), group=SPARK_GROUP_PREFIX, group_is_prefix=True
            )
    tensorflow = analytics.tensorflow
    if tensorflow is not None and tensorflow.reads.topics:
        users[TENSORFLOW_KAFKA_USER] = KafkaClientArgs(
            consumes=tensorflow.reads.topics, group=tensorflow.reads.consumer_group
        )
    return users


def _analytics_indices(analytics: AnalyticsConfig | None) -> tuple[str, ...]:
    """The indices (or patterns) the analytics stage reads: its Elasticsearch user's."""
    if analytics is None:
        return ()
    reads = [reads for _, reads in analytics.reads()]
    return tuple(sorted({index for r in reads for index in r.indices}))


def _spark_operator_args(
    config: StackConfig, job_namespaces: list[pulumi.Output[str]], labels: dict[str, str]
) -> OperatorArgs:
    spark_operator = config.operators.spark_operator
    chart = HelmChart(
        chart="spark-operator",
        repository=SPARK_OPERATOR_REPOSITORY,
        version=spark_operator.chart_version,
        values={
            "spark": {
                # The pipeline namespaces (Outputs: the operator watches only namespaces that
                # exist, so they come first).
                "jobNamespaces": job_namespaces,
                # Each pipeline's SparkJobs brings its own driver account with a narrower Role.
                "serviceAccount": {"create": False},
                "rbac": {"create": False},
            },
            # The mutating webhook applies the scheduler and the restricted security contexts to
            # driver and executor pods.
            "webhook": {"enable": True},
        },
    )
    return _operator_args(
        config, spark_operator, "sparkapplications.sparkoperator.k8s.io", chart, labels
    )


def _spark_jobs_args(
    config: StackConfig,
    spark: SparkConfig,
    pipeline: Pipeline,
    storage: PortworxStorage,
    operator: Operator,
    kafka: KafkaEndpoint | None,
    elasticsearch: ElasticsearchEndpoint | None,
    monitoring: Monitoring | None,
) -> SparkJobsArgs:
    return SparkJobsArgs(
        namespace=pipeline.namespace,
        operator=operator,
        kafka=kafka,
        elasticsearch=elasticsearch,
        checkpoint_class=storage.class_for(spark.checkpoint.role),
        checkpoint_size=spark.checkpoint.size,
        scratch_class=storage.class_for(spark.scratch.role),
        scratch_size=spark.scratch.size,
        jobs={name: _spark_job(name, job) for name, job in spark.jobs.items()},
        kubernetes_api=pipeline.kubernetes_api,
        use_stork=config.storage.stork,
        monitoring=monitoring,
        topology_key=config.storage.placement.topology_key,
        max_consumer_lag=spark.max_consumer_lag,
        max_executor_losses=spark.max_executor_losses,
    )


def _spark_job(name: str, job: SparkJobConfig) -> SparkJob:
    allocation = job.dynamic_allocation
    return SparkJob(
        name=name,
        main_application_file=job.main_application_file,
        spark_version=job.spark_version,
        kafka_package=job.kafka_package,
        image=job.image,
        driver=PodSize(job.driver.cores, job.driver.memory, job.driver.memory_overhead),
        executor=PodSize(job.executor.cores, job.executor.memory, job.executor.memory_overhead),
        executor_instances=job.executor.instances,
        restart=Restart(
            job.restart_policy,
            retries=job.restart.retries,
            retry_interval=job.restart.retry_interval,
            submission_retries=job.restart.submission_retries,
            submission_retry_interval=job.restart.submission_retry_interval,
        ),
        schedule=job.schedule,
        main_class=job.main_class,
        arguments=job.arguments,
        topics=job.reads.topics,
        indices=job.reads.indices,
        trigger_interval=job.trigger_interval,
        dynamic_allocation=(allocation.min, allocation.max) if allocation.enabled else None,
    )


def _tensorflow_args(
    config: StackConfig,
    tensorflow: TensorflowConfig,
    pipeline: Pipeline,
    storage: PortworxStorage,
    kafka: KafkaEndpoint | None,
    elasticsearch: ElasticsearchEndpoint | None,
    monitoring: Monitoring | None,
) -> TensorflowWorkersArgs:
    return TensorflowWorkersArgs(
        namespace=pipeline.namespace,
        model_class=storage.class_for(tensorflow.model.storage_role),
        scratch_class=storage.class_for(tensorflow.scratch.storage_role),
        kafka=kafka,
        elasticsearch=elasticsearch,
        topology_key=config.storage.placement.topology_key,
        strict_zone_spread=len(config.kubernetes.zones) > 1,
        use_stork=config.storage.stork,
        monitoring=monitoring,
        settings=TensorflowSettings(
            image=tensorflow.image,
            kind=tensorflow.kind,
            replicas=tensorflow.replicas,
            resources=_resources(tensorflow.resources),
            run_as_user=tensorflow.run_as_user,
            model_name=tensorflow.model_name,
            model_size=tensorflow.model.size,
            model_read_only=tensorflow.model.read_only,
            model_mount_path=tensorflow.model.mount_path,
            scratch_size=tensorflow.scratch.size,
            scratch_mount_path=tensorflow.scratch.mount_path,
            readiness=_probe(tensorflow, tensorflow.readiness),
            liveness=_probe(tensorflow, tensorflow.liveness),
            command=tensorflow.command,
            args=tensorflow.args,
            gpus=tensorflow.gpus,
            topics=tensorflow.reads.topics,
            consumer_group=tensorflow.reads.consumer_group,
            indices=tensorflow.reads.indices,
            metrics=(
                MetricsEndpoint(tensorflow.metrics.port, tensorflow.metrics.path)
                if tensorflow.metrics
                else None
            ),
        ),
    )


def _probe(tensorflow: TensorflowConfig, probe: ProbeConfig) -> HttpProbe:
    return HttpProbe(
        path=tensorflow.probe_path(probe),
        port=probe.port,
        initial_delay_seconds=probe.initial_delay_seconds,
        period_seconds=probe.period_seconds,
        failure_threshold=probe.failure_threshold,
    )


def _loader_indices(loader: LoaderConfig | None) -> tuple[str, ...]:
    """The indices the loader writes: each connector's index, or its topics' own."""
    if loader is None:
        return ()
    return tuple(
        sorted(
            {
                index
                for spec in loader.connectors.values()
                for index in ((spec.index.name,) if spec.index.name else spec.topics)
            }
        )
    )


def _loader_args(
    config: StackConfig,
    loader: LoaderConfig,
    pipeline: Pipeline,
    kafka: KafkaCluster,
    strimzi: Operator,
    elasticsearch: ElasticsearchCluster,
    monitoring: Monitoring | None,
) -> LoaderArgs:
    kafka_config = config.pipelines[kafka.cluster_name].kafka
    assert kafka_config is not None  # a loader needs its pipeline's Kafka (stack validation)
    return LoaderArgs(
        namespace=pipeline.namespace,
        kafka=kafka,
        operator=strimzi,
        operator_namespace=config.operators.strimzi.namespace,
        elasticsearch=ElasticsearchEndpoint(
            url=elasticsearch.url,
            ca_secret=elasticsearch.ca_secret,
            credentials_secret=elasticsearch.user_secret(LOADER),
            pods=elasticsearch.pods,
        ),
        delivery=PluginDelivery(loader.plugin_delivery),
        image=loader.image,
        plugin_image=loader.plugin_image,
        kafka_version=kafka_config.version,
        replicas=loader.replicas,
        resources=_resources(loader.resources),
        internal_topic_replicas=loader.internal_topic_replicas,
        connectors={
            name: LoaderConnectorArgs(
                topics=spec.topics,
                tasks_max=spec.tasks_max,
                index=spec.index.name,
                index_is_alias=spec.index.alias,
                dead_letter_partitions=spec.dead_letter_topic.partitions,
                dead_letter_replicas=spec.dead_letter_topic.replicas,
            )
            for name, spec in loader.connectors.items()
        },
        topology_key=config.storage.placement.topology_key,
        strict_zone_spread=len(config.kubernetes.zones) > 1,
        use_stork=config.storage.stork,
        max_consumer_lag=loader.max_consumer_lag,
        monitoring=monitoring,
        # The workers mount the loader's Elasticsearch user and CA: the cluster comes first.
        elasticsearch_ready=[elasticsearch],
    )


def _monitoring(
    config: StackConfig, labels: dict[str, str], opts: pulumi.ResourceOptions
) -> Monitoring | None:
    monitoring = config.monitoring
    if not monitoring.enabled:
        return None
    # The Prometheus operator belongs to the cluster's monitoring stack: always found, never
    # installed here; every monitor and rule waits for its CRD.
    prometheus_operator = Operator(
        "prometheus-operator",
        OperatorArgs(
            namespace=monitoring.namespace,
            crd="prometheusrules.monitoring.coreos.com",
            labels=labels,
            rendering=config.kubernetes.render_directory is not None,
        ),
        opts,
    )
    return Monitoring(
        prometheus_namespace=monitoring.namespace,
        prometheus_pods=monitoring.prometheus_pods,
        selector_labels=monitoring.selector_labels,
        ready=tuple(prometheus_operator.ready),
    )


def _strimzi_args(
    config: StackConfig, watched: list[pulumi.Output[str]], labels: dict[str, str]
) -> OperatorArgs:
    strimzi = config.operators.strimzi
    chart = HelmChart(
        chart=STRIMZI_CHART,
        version=strimzi.chart_version,
        values={
            # The pipeline namespaces (Outputs: the chart's RoleBindings wait for them).
            "watchNamespaces": watched,
            "watchAnyNamespace": False,
            # ClusterRole strimzi-kafka-broker: brokers read their node's zone (rack awareness).
            "createGlobalResources": True,
            "generateNetworkPolicy": True,
            "generatePodDisruptionBudget": True,
        },
    )
    return _operator_args(config, strimzi, "kafkas.kafka.strimzi.io", chart, labels)


def _eck_args(
    config: StackConfig, managed: list[pulumi.Output[str]], labels: dict[str, str]
) -> OperatorArgs:
    eck = config.operators.eck
    chart = HelmChart(
        chart="eck-operator",
        repository=ECK_REPOSITORY,
        version=eck.chart_version,
        values={
            # The pipeline namespaces (Outputs: the chart's bindings wait for them).
            "managedNamespaces": managed,
            # Node labels ECK may copy onto pods: the stack's zone key, for zone awareness.
            "config": {"exposedNodeLabels": [re.escape(config.storage.placement.topology_key)]},
        },
    )
    return _operator_args(
        config, eck, "elasticsearches.elasticsearch.k8s.elastic.co", chart, labels
    )


def _schedule_policies_args(
    protection: ProtectionConfig, config: StackConfig, labels: dict[str, str]
) -> SchedulePoliciesArgs:
    return SchedulePoliciesArgs(
        name_prefix=_class_prefix(config),
        labels=labels,
        policies={
            name: SchedulePolicyArgs(policy.stork_policy(), policy.period_minutes())
            for name, policy in protection.schedule_policies.items()
        },
    )


def _namespace_protection_args(
    config: StackConfig,
    protection: ProtectionConfig,
    name: str,
    pipeline: Pipeline,
    schedules: SchedulePolicies,
    archive: SnapshotArchive,
    claims: list[ProtectedClaim],
    monitoring: Monitoring | None,
) -> NamespaceProtectionArgs:
    backups = protection.application_backups
    es = config.pipelines[name].elasticsearch
    return NamespaceProtectionArgs(
        namespace=pipeline.namespace.name,
        labels=pipeline.namespace.labels,
        schedules=schedules,
        snapshot_policy=protection.cloud_snapshots.policy,
        backup_policy=backups.policy if backups.enabled else None,
        claims=claims,
        archive=ArchiveArgs(
            bucket=archive.bucket_name,
            region=archive.region,
            endpoint=archive.endpoint,
            # A role writer (IRSA, Pod Identity) needs no key: Stork uses the pod's identity.
            access_key=(
                S3AccessKey(archive.access_key_id, archive.secret_access_key)
                if archive.access_key_id is not None and archive.secret_access_key is not None
                else None
            ),
        ),
        reclaim_policy=protection.reclaim_policy,
        exempt_roles=protection.exempt_roles,
        cloud_credential_id=config.storage.snapshots.cloud.credential_id,
        elasticsearch=(
            # The pipeline's Elasticsearch cluster is named after the pipeline.
            ElasticsearchFlushArgs(name, es.http_tls) if es is not None else None
        ),
        monitoring=monitoring,
    )


def _found_crd(
    name: str, crd: str, config: StackConfig, labels: dict[str, str], opts: pulumi.ResourceOptions
) -> tuple[pulumi.Resource, ...]:
    """What waits for a CRD that Portworx's own controllers (Stork, Autopilot) register."""
    found = Operator(
        name,
        OperatorArgs(
            namespace=config.monitoring.portworx_namespace,
            crd=crd,
            labels=labels,
            rendering=config.kubernetes.render_directory is not None,
        ),
        opts,
    )
    return tuple(found.ready)


def _autopilot_args(
    config: StackConfig,
    labels: dict[str, str],
    pipelines: dict[str, Pipeline],
    streams: dict[str, KafkaCluster],
    indexes: dict[str, ElasticsearchCluster],
    monitoring: Monitoring | None,
    opts: pulumi.ResourceOptions,
) -> AutopilotArgs:
    autopilot = config.autopilot
    assert autopilot is not None
    pools, claims = autopilot.pools, autopilot.claims
    return AutopilotArgs(
        name_prefix=_class_prefix(config),
        labels=labels,
        approval_required=autopilot.approval_required,
        for_seconds=autopilot.for_seconds,
        cool_down_seconds=autopilot.cool_down_seconds,
        pools=(
            PoolGrowthArgs(
                pools.usage_percent, pools.scale_percent, pools.max_size, pools.scale_type
            )
            if pools
            else None
        ),
        claims=(
            ClaimGrowthArgs(claims.usage_percent, claims.scale_percent, claims.max_size)
            if claims
            else None
        ),
        # Elasticsearch's claims may grow (ECK tolerates it); Kafka's never (Strimzi does not).
        growing=tuple(
            GrowingClaims(f"{name}-elasticsearch", pipelines[name].namespace.name, es.claim_labels)
            for name, es in indexes.items()
        ),
        fixed=tuple(
            FixedClaims(kafka.cluster_name, pipelines[name].namespace.name, kafka.claim_sizes)
            for name, kafka in streams.items()
        ),
        monitoring=monitoring,
        ready=_found_crd(
            "autopilot", "autopilotrules.autopilot.libopenstorage.org", config, labels, opts
        ),
    )


def _migration_args(
    config: StackConfig,
    storage_args: PortworxStorageArgs,
    pipelines: dict[str, Pipeline],
    labels: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> MigrationArgs:
    migration = config.migration
    assert migration is not None
    render = config.kubernetes.render_directory
    return MigrationArgs(
        kubeconfig=pulumi.Output.secret(migration.destination.kubeconfig.get_secret_value()),
        context=migration.destination.context,
        cluster_config=pulumi.Output.secret(migration.destination.cluster_pair_config()),
        storage=storage_args,
        namespaces={name: p.namespace.name for name, p in pipelines.items()},
        portworx=PortworxPairArgs(
            ip=migration.portworx.ip,
            port=migration.portworx.port,
            token=pulumi.Output.secret(migration.portworx.token.get_secret_value()),
            mode=migration.portworx.mode,
        ),
        schedule_policy=migration.schedule_policy,
        include_volumes=migration.include_volumes,
        purge_deleted_resources=migration.purge_deleted_resources,
        auto_suspend=migration.auto_suspend,
        labels=labels,
        # The destination's objects are rendered apart from the source's.
        render_directory=f"{render}/destination" if render else None,
        ready=_found_crd("stork", "clusterpairs.stork.libopenstorage.org", config, labels, opts),
    )


def _operator_args(
    config: StackConfig,
    operator: OperatorConfig,
    crd: str,
    chart: HelmChart,
    labels: dict[str, str],
) -> OperatorArgs:
    """An operator the stack installs from ``chart``, or finds through its ``crd``."""
    return OperatorArgs(
        namespace=operator.namespace,
        crd=crd,
        labels=labels,
        install=chart if operator.install else None,
        rendering=config.kubernetes.render_directory is not None,
    )


def _elasticsearch_args(
    config: StackConfig,
    es: ElasticsearchConfig,
    loader_indices: tuple[str, ...],
    analytics_indices: tuple[str, ...],
    pipeline: Pipeline,
    storage: PortworxStorage,
    eck: Operator,
    monitoring: Monitoring | None,
) -> ElasticsearchClusterArgs:
    roles = es.storage_roles()  # masters' only with dedicated masters
    return ElasticsearchClusterArgs(
        namespace=pipeline.namespace,
        data_storage=storage.class_for(roles["data"]),
        master_storage=storage.class_for(roles.get("masters", roles["data"])),
        operator=eck,
        operator_namespace=config.operators.eck.namespace,
        version=es.version,
        combined=es.node_sets == "combined",
        masters=_elasticsearch_nodes(es.masters),
        data=_elasticsearch_nodes(es.data),
        http_tls=es.http_tls,
        allow_mmap=es.allow_mmap,
        topology_key=config.storage.placement.topology_key,
        zones=config.kubernetes.zones,
        use_stork=config.storage.stork,
        # The pre-snapshot rule flushes the cluster as a user that may do nothing else.
        snapshot_flush=config.protection is not None,
        kibana=(
            KibanaArgs(es.kibana.count, _resources(es.kibana.resources))
            if es.kibana.enabled
            else None
        ),
        clients={
            **{
                client: ElasticsearchClientArgs(spec.privileges, spec.indices)
                for client, spec in es.clients.items()
            },
            **(
                {LOADER: ElasticsearchClientArgs("write", loader_indices)} if loader_indices else {}
            ),
            **(
                {ANALYTICS: ElasticsearchClientArgs("read", analytics_indices)}
                if analytics_indices
                else {}
            ),
        },
        monitoring=monitoring,
    )


def _elasticsearch_nodes(nodes: ElasticsearchNodesConfig) -> ElasticsearchNodesArgs:
    return ElasticsearchNodesArgs(
        nodes.count, nodes.storage, _resources(nodes.resources), nodes.heap
    )


def _kafka_args(
    config: StackConfig,
    name: str,
    kafka: KafkaConfig,
    loader: LoaderConfig | None,
    analytics: AnalyticsConfig | None,
    pipeline: Pipeline,
    storage: PortworxStorage,
    strimzi: Operator,
    monitoring: Monitoring | None,
) -> KafkaClusterArgs:
    return KafkaClusterArgs(
        namespace=pipeline.namespace,
        storage=storage.class_for(kafka.storage_role),
        operator=strimzi,
        operator_namespace=config.operators.strimzi.namespace,
        kubernetes_api=pipeline.kubernetes_api,
        api_version=config.operators.strimzi.api_version,
        version=kafka.version,
        combined=kafka.node_pools == "combined",
        controllers=_kafka_nodes(kafka.controllers),
        brokers=_kafka_nodes(kafka.brokers),
        authentication=kafka.authentication,
        plaintext_listener=kafka.plaintext_listener,
        client_namespaces=kafka.client_namespaces,
        config=kafka.config,
        topics={
            topic: KafkaTopicArgs(spec.partitions, spec.replicas, spec.config)
            for topic, spec in kafka.topics.items()
        },
        clients={
            **{
                client: KafkaClientArgs(
                    produces=spec.produces,
                    consumes=spec.consumes,
                    group=(spec.group or f"{name}-{client}") if spec.consumes else None,
                )
                for client, spec in kafka.clients.items()
            },
            **_analytics_kafka_users(analytics),
        },
        topology_key=config.storage.placement.topology_key,
        # Only a cluster known to have several zones can insist on one node per zone.
        strict_zone_spread=len(config.kubernetes.zones) > 1,
        use_stork=config.storage.stork,
        max_consumer_lag=kafka.max_consumer_lag,
        monitoring=monitoring,
        reported_groups=tuple(sink_group(connector) for connector in loader.connectors)
        if loader
        else (),
    )


def _kafka_nodes(nodes: KafkaNodesConfig) -> KafkaNodesArgs:
    return KafkaNodesArgs(
        replicas=nodes.replicas,
        storage=nodes.storage,
        resources=_resources(nodes.resources),
        heap=nodes.heap,
        volumes=nodes.volumes,
    )


def _resources(resources: ResourcesConfig) -> Resources:
    compute = resources.as_kubernetes()
    return Resources(requests=compute["requests"], limits=compute["limits"])


def _class_prefix(config: StackConfig) -> str:
    """Cluster-scoped names are unique per stack: two stacks of one environment may share a
    cluster. ``storage.classPrefix`` overrides."""
    if config.storage.class_prefix:
        return config.storage.class_prefix
    # Stack names allow characters (upper case, '_', '.') that object names do not.
    stack = re.sub(r"[^a-z0-9-]+", "-", pulumi.get_stack().lower()).strip("-")
    return f"px-{stack}"[:30].rstrip("-")


def _storage_args(
    config: StackConfig, name_prefix: str, labels: dict[str, str], monitoring: Monitoring | None
) -> PortworxStorageArgs:
    storage = config.storage
    snapshots = storage.snapshots
    return PortworxStorageArgs(
        monitoring=monitoring,
        portworx_namespace=config.monitoring.portworx_namespace,
        name_prefix=name_prefix,
        labels=labels,
        classes={
            role: StorageClassArgs(
                repl=cls.repl,
                secure=cls.secure,
                io_profile=cls.io_profile,
                priority_io=cls.priority_io,
                fs=cls.fs,
                sharedv4=cls.sharedv4,
                nodiscard=cls.nodiscard,
                reclaim_policy=cls.reclaim_policy,
                allow_volume_expansion=cls.allow_volume_expansion,
                zone_spread=storage.zone_spread(role),
                encryption_key=cls.encryption_key,
            )
            for role, cls in storage.classes.items()
        },
        placement=PlacementArgs(storage.placement.topology_key, storage.placement.enforcement),
        encryption_keys={
            name: EncryptionKeyArgs(
                namespace=key.namespace,
                rotation=key.rotation,
                passphrase=key.passphrase.get_secret_value() if key.passphrase else None,
                existing_secret=(
                    (key.existing_secret.name, key.existing_secret.key)
                    if key.existing_secret
                    else None
                ),
            )
            for name, key in storage.encryption_keys.items()
        },
        snapshot_classes=tuple(
            spec
            for enabled, spec in (
                (
                    snapshots.local.enabled,
                    SnapshotClassArgs("local", snapshots.local.deletion_policy),
                ),
                (
                    snapshots.cloud.enabled,
                    SnapshotClassArgs(
                        "cloud", snapshots.cloud.deletion_policy, snapshots.cloud.credential_id
                    ),
                ),
            )
            if enabled
        ),
    )


def _create_provider(config: StackConfig) -> k8s.Provider:
    # One explicit provider (default providers are disabled for the project in Pulumi.yaml), so
    # that a stack never deploys to whatever the ambient kubeconfig happens to point at, and so
    # that rendering to a directory covers every object.
    kubernetes = config.kubernetes
    return k8s.Provider(
        "kubernetes",
        context=kubernetes.context,
        render_yaml_to_directory=kubernetes.render_directory,
    )
