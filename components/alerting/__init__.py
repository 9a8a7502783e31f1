"""Monitoring content (scrape specs, exporter config, alert rules) for the pipeline's elements.

Plain Python with no Pulumi SDK and no pipeline/ import: components turn these values into
ServiceMonitor, PodMonitor, PrometheusRule and ConfigMap resources, and the policy pack may
read them.
"""
