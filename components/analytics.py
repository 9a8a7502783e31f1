"""The analytics element's Spark part: a pipeline's Spark jobs run by spark-operator.

Follows the loader's pattern: custom resources that wait for their operator, hardened pods, its
own identity with least privilege, its own network flows, monitors and alerts. Kafka and
Elasticsearch are known only by their endpoints (``components/endpoints.py``): the analytics
stage's Kafka user and Elasticsearch user are created by those elements.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.alerting.spark import (
    SparkAlertSettings,
    StreamingJobAlerts,
    spark_alert_groups,
    spark_pod_monitor_spec,
)
from components.endpoints import ElasticsearchEndpoint, KafkaEndpoint, ready_to_read
from components.k8s import CustomObject
from components.labels import ROLE_LABEL as STORAGE_ROLE_LABEL
from components.labels import STAGE_LABEL
from components.monitoring import Monitoring
from components.namespace import PipelineNamespace
from components.network import ElementFlows, Flow, Peer, create_flow_policy
from components.operators import Operator
from components.spark import (
    BLOCK_MANAGER_PORT,
    DRIVER_PORT,
    ROLE_LABEL,
    STAGE,
    UI_PORT,
    ElasticsearchAccess,
    KafkaAccess,
    SparkEnvironment,
    SparkJob,
    driver_role_rules,
    spark_application_body,
)
from components.storage import ProvisionedClass
from components.strimzi import CLUSTER_LABEL

# The states Pulumi waits for: a streaming job's driver running, a schedule registered.
_WAIT_FOR = {
    "SparkApplication": "jsonpath={.status.applicationState.state}=RUNNING",
    "ScheduledSparkApplication": "jsonpath={.status.scheduleState}=Scheduled",
}


@dataclass(frozen=True)
class SparkJobsArgs:
    """Inputs of :class:`SparkJobs`."""

    namespace: PipelineNamespace
    operator: Operator
    """spark-operator: every Spark custom resource waits for it."""
    kafka: KafkaEndpoint | None
    """The pipeline's Kafka as the analytics user reaches it; None: no job reads topics."""
    elasticsearch: ElasticsearchEndpoint | None
    """The pipeline's Elasticsearch as the analytics user reads it; None: no job reads indices."""
    checkpoint_class: ProvisionedClass
    """A ReadWriteMany (sharedv4) class: executors write stateful queries' state there too."""
    checkpoint_size: str
    scratch_class: ProvisionedClass
    scratch_size: str
    """Of each executor's on-demand scratch claim."""
    jobs: Mapping[str, SparkJob]
    kubernetes_api: Flow
    """The Pipeline's egress flow to the API server: the driver manages its executors."""
    use_stork: bool
    monitoring: Monitoring | None
    topology_key: str = "topology.kubernetes.io/zone"
    max_consumer_lag: int = 100_000
    max_executor_losses: int = 3


class SparkJobs(pulumi.ComponentResource):
    """The Spark jobs of a pipeline, with their identity, checkpoint claim, flows and alerts."""

    service_account: str
    checkpoint_claim: str
    claims: dict[str, str]
    """The checkpoint claim -> its storage role: what snapshot schedules cover."""
    applications: tuple[str, ...]
    """The jobs' application names (``spark-<job>``; the driver pod is ``<app>-driver``)."""

    def __init__(
        self, name: str, args: SparkJobsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("data-pipeline:analytics:SparkJobs", name, None, opts)
        self._name = name
        self._args = args
        self._labels = args.namespace.labels
        self._check(args)
        self.service_account = f"{name}-spark"
        self.checkpoint_claim = f"{name}-spark-checkpoints"
        self.applications = tuple(job.app for job in args.jobs.values())
        # Executors' scratch claims come and go with them: only the checkpoints are kept.
        self.claims = {self.checkpoint_claim: args.checkpoint_class.role}
        identity = self._create_identity()
        claim = self._create_checkpoint_claim()
        env = SparkEnvironment(
            namespace=args.namespace.name,
            service_account=self.service_account,
            checkpoint_claim=self.checkpoint_claim,
            scratch_class=args.scratch_class.name,
            scratch_size=args.scratch_size,
            kafka=_kafka_access(args.kafka),
            elasticsearch=_elasticsearch_access(args.elasticsearch),
            use_stork=args.use_stork,
            labels=self._labels,
            topology_key=args.topology_key,
        )
        for job in args.jobs.values():
            body = spark_application_body(job, env)
            body["metadata"]["annotations"] = {"pulumi.com/waitFor": _WAIT_FOR[body["kind"]]}
            CustomObject(
                f"{name}-{job.app}",
                body["apiVersion"],
                body["kind"],
                {key: value for key, value in body.items() if key not in ("apiVersion", "kind")},
                pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[
                        *args.operator.ready,
                        *identity,
                        claim,
                        *ready_to_read(args.kafka, args.elasticsearch),
                    ],
                ),
            )
        self._create_flows()
        if args.monitoring is not None:
            self._create_monitoring(args.monitoring)
        self.register_outputs(
            {
                "serviceAccount": self.service_account,
                "checkpointClaim": self.checkpoint_claim,
                "applications": list(self.applications),
            }
        )

    @property
    def _drivers(self) -> dict[str, str]:
        return {STAGE_LABEL: STAGE, ROLE_LABEL: "driver"}

    @staticmethod
    def _check(args: SparkJobsArgs) -> None:
        if args.checkpoint_class.access_mode != "ReadWriteMany":
            raise ValueError(
                f"Spark checkpoints need a ReadWriteMany (sharedv4) class; role "
                f"{args.checkpoint_class.role} is {args.checkpoint_class.access_mode}"
            )
        for job in args.jobs.values():
            if job.topics and args.kafka is None:
                raise ValueError(f"Spark job {job.name} reads topics but has no Kafka endpoint")
            if job.indices and args.elasticsearch is None:
                raise ValueError(
                    f"Spark job {job.name} reads indices but has no Elasticsearch endpoint"
                )

    def _metadata(self, name: str, **extra_labels: str) -> dict:
        return {
            "name": name,
            "namespace": self._args.namespace.name,
            "labels": {**self._labels, **extra_labels},
        }

    def _create_identity(self) -> list[pulumi.Resource]:
        """The drivers' ServiceAccount and a Role in the pipeline's namespace only."""
        in_component = pulumi.ResourceOptions(parent=self)
        account = k8s.core.v1.ServiceAccount(
            self.service_account,
            metadata=self._metadata(self.service_account),
            opts=in_component,
        )
        role = k8s.rbac.v1.Role(
            f"{self.service_account}-role",
            metadata=self._metadata(self.service_account),
            rules=driver_role_rules(),
            opts=in_component,
        )
        binding = k8s.rbac.v1.RoleBinding(
            f"{self.service_account}-binding",
            metadata=self._metadata(self.service_account),
            role_ref={
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": self.service_account,
            },
            subjects=[
                {
                    "kind": "ServiceAccount",
                    "name": self.service_account,
                    "namespace": self._args.namespace.name,
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account, role]),
        )
        return [account, role, binding]

    def _create_checkpoint_claim(self) -> k8s.core.v1.PersistentVolumeClaim:
        args = self._args
        storage = args.checkpoint_class
        return k8s.core.v1.PersistentVolumeClaim(
            self.checkpoint_claim,
            metadata=self._metadata(self.checkpoint_claim, **{STORAGE_ROLE_LABEL: storage.role}),
            spec={
                "accessModes": ["ReadWriteMany"],
                "storageClassName": storage.name,
                "resources": {"requests": {"storage": args.checkpoint_size}},
            },
            opts=pulumi.ResourceOptions(
                parent=self,
                # The checkpoints are the queries' progress and state: losing them replays or
                # skips input. They outlive the jobs and the stack.
                retain_on_delete=True,
                # A claim's class is immutable, and a replacement of this named, retained claim
                # could only collide with it: a change of the role's class leaves the live
                # checkpoints where they are (growing the size still applies in place).
                ignore_changes=["spec.storageClassName"],
            ),
        )

    def _create_flows(self) -> None:
        args = self._args
        drivers = self._drivers
        executors = {STAGE_LABEL: STAGE, ROLE_LABEL: "executor"}
        readers: list[Flow] = []
        if args.kafka is not None:
            kafka_nodes = Peer(pods={CLUSTER_LABEL: args.kafka.pods[CLUSTER_LABEL]})
            readers.append(Flow("read topics from Kafka", (kafka_nodes,), (args.kafka.port,)))
        if args.elasticsearch is not None:
            readers.append(
                Flow(
                    "read indices over Elasticsearch's REST API",
                    (Peer(pods=args.elasticsearch.pods),),
                    (args.elasticsearch.port,),
                )
            )
        to_executors = Flow(
            "the driver and executors fetch blocks and shuffle data from executors",
            (Peer(pods=drivers), Peer(pods=executors)),
            (BLOCK_MANAGER_PORT,),
        )
        from_executors = Flow(
            "executors register with the driver and fetch its blocks",
            (Peer(pods=executors),),
            (DRIVER_PORT, BLOCK_MANAGER_PORT),
        )
        driver_ingress = [from_executors]
        if args.monitoring is not None:
            driver_ingress.append(args.monitoring.scrape_flow((UI_PORT,)))
        in_component = pulumi.ResourceOptions(parent=self)
        for role, flows in (
            (
                "driver",
                ElementFlows(
                    pods=drivers,
                    ingress=tuple(driver_ingress),
                    egress=(*readers, args.kubernetes_api, _to(to_executors, executors)),
                ),
            ),
            (
                "executor",
                ElementFlows(
                    pods=executors,
                    ingress=(to_executors,),
                    egress=(*readers, _to(from_executors, drivers), _to(to_executors, executors)),
                ),
            ),
        ):
            create_flow_policy(
                f"{self._name}-spark-{role}-flows",
                element=f"spark-{role}s-{self._name}",
                namespace=args.namespace.name,
                labels=self._labels,
                flows=flows,
                opts=in_component,
            )

    def _create_monitoring(self, monitoring: Monitoring) -> None:
        args = self._args
        streaming = tuple(
            StreamingJobAlerts(job.name, job.trigger_interval, reads_kafka=bool(job.topics))
            for job in args.jobs.values()
            if job.streaming
        )
        settings = SparkAlertSettings(
            streaming=streaming,
            jobs=tuple(args.jobs),
            kafka_cluster=args.kafka.pods[CLUSTER_LABEL] if args.kafka is not None else None,
            max_consumer_lag=args.max_consumer_lag,
            max_executor_losses=args.max_executor_losses,
        )
        monitoring.watch_pods(
            f"{self._name}-spark",
            name=f"{self._name}-spark",
            namespace=args.namespace.name,
            labels=self._labels,
            pod_monitor=spark_pod_monitor_spec(self._drivers),
            alert_groups=lambda namespace: spark_alert_groups(namespace, settings),
            opts=pulumi.ResourceOptions(parent=self),
        )


def _to(flow: Flow, pods: Mapping[str, str]) -> Flow:
    """An egress flow to ``pods`` on the ports of the ingress ``flow`` they admit."""
    return Flow(flow.reason, (Peer(pods=pods),), flow.ports)


def _kafka_access(kafka: KafkaEndpoint | None) -> KafkaAccess | None:
    if kafka is None:
        return None
    return KafkaAccess(kafka.bootstrap, kafka.ca_secret, kafka.user_secret, kafka.authentication)


def _elasticsearch_access(es: ElasticsearchEndpoint | None) -> ElasticsearchAccess | None:
    if es is None:
        return None
    return ElasticsearchAccess(es.url, es.ca_secret, es.credentials_secret)
