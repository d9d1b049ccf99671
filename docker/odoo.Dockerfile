# The official Odoo 18 image with the scada_bridge package, which the module
# imports to pull from the SCADA database. The module itself is mounted at
# /mnt/extra-addons by docker-compose.yml, so editing it needs no rebuild.
FROM odoo:18
USER root
COPY requirements.txt /tmp/scada/requirements.txt
COPY bridge /tmp/scada/bridge
# psycopg2 comes with the image (Ubuntu's python3-psycopg2, within the bridge's
# range); only pymodbus is added, at the version the tests pin.
RUN pip3 install --no-cache-dir --break-system-packages \
        "$(grep -E '^pymodbus==' /tmp/scada/requirements.txt)" \
    && pip3 install --no-cache-dir --break-system-packages --no-deps /tmp/scada/bridge \
    && rm -rf /tmp/scada
COPY docker/odoo-entrypoint.sh docker/odoo-init.sh scripts/odoo_setup.py /opt/scada/
RUN chmod 0755 /opt/scada/odoo-entrypoint.sh /opt/scada/odoo-init.sh
USER odoo
# docker-compose.yml mounts the repository's odoo.conf here.
ENV ODOO_RC=/etc/odoo/scada.conf
ENTRYPOINT ["/opt/scada/odoo-entrypoint.sh"]
CMD []
