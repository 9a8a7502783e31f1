"""Page views per page and minute, from the pipeline's click stream.

A Structured Streaming job written to the contract of ``components/spark.py``: every Kafka source
option arrives in ``sparkConf`` under ``spark.datapipeline.kafkaSource.`` (bootstrap address, TLS
and credentials read by the Kafka client from the mounted Secrets, the topics, the group prefix);
the trigger interval under ``spark.datapipeline.triggerInterval``; checkpoints go under
``spark.sql.streaming.checkpointLocation``, the job's directory of the shared (ReadWriteMany)
checkpoint claim, where the results are written too, as Parquet files.

Each click is a JSON object with at least ``page`` and ``ts`` (an ISO-8601 time).
"""

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType, TimestampType

SOURCE_PREFIX = "spark.datapipeline.kafkaSource."
CLICK = StructType([StructField("page", StringType()), StructField("ts", TimestampType())])


def main() -> None:
    spark = SparkSession.builder.appName("page-counts").getOrCreate()
    conf = spark.sparkContext.getConf()
    source = {
        key.removeprefix(SOURCE_PREFIX): value
        for key, value in conf.getAll()
        if key.startswith(SOURCE_PREFIX)
    }
    base = conf.get("spark.sql.streaming.checkpointLocation")
    clicks = (
        spark.readStream.format("kafka")
        .options(**source)
        .option("startingOffsets", "earliest")
        .load()
        .select(F.from_json(F.col("value").cast("string"), CLICK).alias("click"))
        .select("click.*")
        .where(F.col("page").isNotNull() & F.col("ts").isNotNull())
    )
    counts = (
        clicks.withWatermark("ts", "10 minutes")
        .groupBy(F.window("ts", "1 minute"), "page")
        .count()
        .select(F.col("window.start").alias("minute"), "page", "count")
    )
    (
        counts.writeStream.queryName("page-counts")
        .outputMode("append")
        .format("parquet")
        .option("path", f"{base}/output")
        .trigger(processingTime=conf.get("spark.datapipeline.triggerInterval", "60 seconds"))
        .start()
        .awaitTermination()
    )


if __name__ == "__main__":
    main()
