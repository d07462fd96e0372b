# Input functions of ingest.smk.


def event_date_window(wildcards):
    return CONFIG["events"][wildcards.event]["date_window"]


def all_source_summaries():
    return [
        f"results/{e}/sources/{s.id}.json"
        for e in EVENTS
        for s in uc.sources(CONFIG, e)
    ]
