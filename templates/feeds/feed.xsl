<?xml version="1.0" encoding="UTF-8"?>
{#- Rendered once per site at /feed.xsl (comms/feeds/views.py), so the EU emblem,
    the acknowledgement in every site language and the programme's logo come from
    site.yml as on every other page. Not autoescaped (.xsl): every value is |e. #}
<!-- Shows an RSS 2.0 or Atom feed of this site as a readable page in a browser.
     Named by the feeds' <?xml-stylesheet?> instruction; feed readers ignore it.
     Own-origin stylesheet only (the site's CSP allows no inline style); links are
     built with xsl:attribute, so the static export's link finder sees no "{...}". -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="UTF-8" indent="no"
      doctype-system="about:legacy-compat"/>

  <xsl:template match="/">
    <xsl:variable name="lang" select="rss/channel/language | atom:feed/@xml:lang"/>
    <xsl:variable name="title" select="rss/channel/title | atom:feed/atom:title"/>
    <html><xsl:attribute name="lang"><xsl:value-of select="$lang"/></xsl:attribute>
      <head>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="$title"/> (feed)</title>
        <link rel="stylesheet" href="{{ url_for('static', filename='site.css')|e }}"/>
      </head>
      <body>
        <header class="site-header">
          <div class="identity">
            <div class="wrap identity-row">
              <p class="eu-ack">
                <xsl:choose>
                  {%- for ack in acknowledgements %}
                  <xsl:when test="starts-with($lang, '{{ ack.language|e }}')">{% if emblem %}<img src="{{ emblem|e }}" alt="{{ ack.emblem_alt|e }}" width="36" height="24"/>{% endif %}<span>{{ ack.text|e }}</span></xsl:when>
                  {%- endfor %}
                  <xsl:otherwise>{% if emblem %}<img src="{{ emblem|e }}" alt="{{ fallback.emblem_alt|e }}" width="36" height="24"/>{% endif %}<span>{{ fallback.text|e }}</span></xsl:otherwise>
                </xsl:choose>
              </p>
              {%- if logo %}
              <span class="programme-logo"><img src="{{ logo|e }}" alt="{{ logo_alt|e }}" width="84" height="28"/></span>
              {%- endif %}
            </div>
          </div>
        </header>
        <main id="main" class="wrap feed-page">
          <p class="notice">This is a web feed. To follow it, copy its address
            from the address bar into your feed reader. The newest items are below.</p>
          <h1><xsl:value-of select="$title"/></h1>
          <xsl:apply-templates select="rss/channel | atom:feed"/>
        </main>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="rss/channel">
    <p class="lead"><xsl:value-of select="description"/></p>
    <p><a><xsl:attribute name="href"><xsl:value-of select="link"/></xsl:attribute>Open the web page of this feed</a></p>
    <div class="cards">
      <xsl:for-each select="item">
        <article class="card">
          <h2 class="card-title"><a><xsl:attribute name="href"><xsl:value-of select="link"/></xsl:attribute><xsl:value-of select="title"/></a></h2>
          <p class="card-meta"><xsl:value-of select="pubDate"/></p>
          <p class="card-summary"><xsl:value-of select="description"/></p>
        </article>
      </xsl:for-each>
    </div>
  </xsl:template>

  <xsl:template match="atom:feed">
    <p class="lead"><xsl:value-of select="atom:subtitle"/></p>
    <p><a><xsl:attribute name="href"><xsl:value-of select="atom:link[@rel='alternate']/@href"/></xsl:attribute>Open the web page of this feed</a></p>
    <div class="cards">
      <xsl:for-each select="atom:entry">
        <article class="card">
          <h2 class="card-title">
            <a><xsl:attribute name="href"><xsl:value-of select="atom:link[@rel='alternate']/@href"/></xsl:attribute><xsl:value-of select="atom:title"/></a>
          </h2>
          <p class="card-meta">
            <xsl:value-of select="substring(atom:published | atom:updated[not(../atom:published)], 1, 10)"/>
          </p>
          <p class="card-summary"><xsl:value-of select="atom:summary"/></p>
        </article>
      </xsl:for-each>
    </div>
  </xsl:template>
</xsl:stylesheet>
