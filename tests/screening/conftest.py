"""Small list files in every supported format, written by the tests themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

SDN = (
    '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    '7157,"PUTIN, Vladimir Vladimirovich","individual","RUSSIA-EO14024","President",-0- ,-0- ,-0- ,-0- ,-0- ,'
    '-0- ,"DOB 07 Oct 1952"\r\n'
    '9001,"SHENZHEN EXAMPLE TECHNOLOGY CO., LTD.",-0- ,"CYBER2",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    "\x1a"
)
ALT = '36,12,"aka","AERO-CARIBBEAN",-0- \r\n7157,99,"aka","PUTIN, Vladimir",-0- \r\n'
ADD = '36,25,-0- ,"Havana","Cuba",-0- \r\n9001,26,"1 Nanshan Road","Shenzhen","China",-0- \r\n'
CSL = (
    "source,entity_number,type,programs,name,title,addresses,federal_register_notice,start_date,end_date,"
    "standard_order,license_requirement,license_policy,call_sign,vessel_type,gross_tonnage,"
    "gross_registered_tonnage,vessel_flag,vessel_owner,remarks,source_list_url,alt_names,citizenships,"
    "dates_of_birth,nationalities,places_of_birth,source_information_url,ids\n"
    'Entity List (EL) - Bureau of Industry and Security,77,Entity,,Example Optics Co.,,"9 Road, Wuhan, CN",,'
    "2020-06-05,,,,,,,,,,,,,Example Optical; EOC,,,,,,\n"
)
UN = """<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2026-02-27T00:00:09.554Z">
 <INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME>ERIC</FIRST_NAME><SECOND_NAME>BADEGE</SECOND_NAME>
  <UN_LIST_TYPE>DRC</UN_LIST_TYPE><REFERENCE_NUMBER>CDi.001</REFERENCE_NUMBER><LISTED_ON>2012-12-31</LISTED_ON>
  <NATIONALITY><VALUE>Democratic Republic of the Congo</VALUE></NATIONALITY>
  <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Eric Badeghe</ALIAS_NAME></INDIVIDUAL_ALIAS>
  <INDIVIDUAL_ADDRESS><COUNTRY>Rwanda</COUNTRY></INDIVIDUAL_ADDRESS></INDIVIDUAL></INDIVIDUALS>
 <ENTITIES><ENTITY><DATAID>2</DATAID><FIRST_NAME>THE HOUTHIS</FIRST_NAME><UN_LIST_TYPE>Yemen</UN_LIST_TYPE>
  <REFERENCE_NUMBER>YEe.001</REFERENCE_NUMBER><LISTED_ON>2022-02-28</LISTED_ON>
  <ENTITY_ALIAS><ALIAS_NAME>ANSARALLAH</ALIAS_NAME></ENTITY_ALIAS>
  <ENTITY_ADDRESS><CITY>Sanaa</CITY><COUNTRY>Yemen</COUNTRY></ENTITY_ADDRESS></ENTITY></ENTITIES>
</CONSOLIDATED_LIST>
"""
DHS_HTML = """<html><body><h2>Entities in Xinjiang that mine, produce, or manufacture ... Section 2(d)(2)(B)(i)</h2>
<table><tr><th>Entity Name</th><th>Effective Date</th></tr>
<tr><td>Hetian Example Apparel Co., Ltd. (also known as Hotan Example Garments)</td><td>06/21/2022</td></tr>
</table><h2>Entities that source material from Xinjiang, Section 2(d)(2)(B)(v)</h2>
<table><tr><th>Entity Name</th><th>Effective Date</th></tr>
<tr><td>Example Polysilicon Co., Ltd.</td><td>May 17, 2024</td></tr></table></body></html>
"""
WRO = (
    "entity_or_merchandise,country,industry,date,type,status,source_url\n"
    '"Example Fishing Vessel Co., Ltd.",China,Seafood,2023-01-05,WRO,active,https://www.cbp.gov/x\n'
    "All Examplestan cotton or products produced in whole or in part with Examplestan cotton,Turkmenistan,"
    "Cotton,2018-05-18,WRO,active,https://www.cbp.gov/y\n"
)


@pytest.fixture
def list_dir(tmp_path: Path) -> Path:
    """A folder with one small file per list format (SDN with its ALT and ADD companions)."""
    files = {
        "sdn.csv": SDN,
        "alt.csv": ALT,
        "add.csv": ADD,
        "csl.csv": CSL,
        "un.xml": UN,
        "uflpa_page.html": DHS_HTML,
        "wro.csv": WRO,
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path
