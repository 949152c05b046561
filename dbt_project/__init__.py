"""The dbt project, installed as package data of grouplake (``grouplake.dbt_project``).

This file only makes the folder importable as ``grouplake.dbt_project``, so that
``grouplake.config.dbt_project_dir()`` finds it the same way from a wheel and from an
editable install. dbt ignores it.
"""
