# Count linked persons by the combination of lists that document them.


rule histories:
    input:
        persons="results/{event}/{population}/persons.csv",
    output:
        table="results/{event}/{population}/histories.csv",
        meta="results/{event}/{population}/histories.json",
    log:
        "logs/histories/{event}/{population}.log",
    params:
        sources=population_source_ids,
        linkage=CONFIG["linkage"]["method"],
    script:
        "../../scripts/histories.py"
